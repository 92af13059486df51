"""Reading the two fields every synchronous Daraja answer turns on, in each form the public record shows
(docs/daraja.md): `ResponseCode` as the string "0" (Safaricom's samples) or the number 0 (mpesakit's schemas),
and the error envelope in camelCase (`errorCode`, Safaricom) or PascalCase (`ErrorCode`, an SDK's fixtures)."""

from enum import Enum


class ResponseCodeReading(Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    # Neither a form of 0 that has been seen nor plainly another code ("0 ", 0.0, "00", null, true, ...):
    # never taken for a refusal, since the request may well have been accepted.
    UNCLEAR = "unclear"


def read_response_code(value: object) -> ResponseCodeReading:
    if value == "0" or (type(value) is int and value == 0):
        return ResponseCodeReading.ACCEPTED
    if type(value) is int:
        return ResponseCodeReading.REFUSED
    if isinstance(value, str) and value.strip() == value and value and not _zero_like(value):
        return ResponseCodeReading.REFUSED
    return ResponseCodeReading.UNCLEAR


def says_accepted(answer: dict[str, object]) -> bool:
    return read_response_code(answer.get("ResponseCode")) is ResponseCodeReading.ACCEPTED


def error_code(answer: dict[str, object]) -> object:
    return answer.get("errorCode", answer.get("ErrorCode"))


def error_message(answer: dict[str, object]) -> object:
    return answer.get("errorMessage", answer.get("ErrorMessage"))


def _zero_like(text: str) -> bool:
    try:
        return float(text) == 0
    except ValueError:
        return False
