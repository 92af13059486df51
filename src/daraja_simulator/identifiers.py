"""Identifiers in the shapes Daraja issues them (docs/daraja.md#stk-push-answer, #b2c-answer, #stk-push-callback), so
the gateway's parsers and storage meet realistic values offline."""

import secrets
import string
from datetime import datetime

_ALPHANUMERIC = string.ascii_uppercase + string.digits
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def _hex(length: int) -> str:
    return secrets.token_hex(length)[:length]


def _digits(length: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))


def request_id() -> str:
    """The newer MerchantRequestID / requestId form, e.g. 2654-4b64-97ff-b827b542881d3130."""
    return f"{_hex(4)}-{_hex(4)}-{_hex(4)}-{_hex(12)}{_digits(4 + secrets.randbelow(4))}"


def checkout_request_id(msisdn: str, moment: datetime) -> str:
    """ws_CO_ + DDMMYYYYHHMMSS + milliseconds + the subscriber digits, e.g. ws_CO_21072024125243250722943992."""
    return f"ws_CO_{moment:%d%m%Y%H%M%S}{moment.microsecond // 1000:03d}{msisdn[3:]}"


def conversation_id(moment: datetime) -> str:
    """AG_YYYYMMDD_ + 20 hex digits, e.g. AG_20240706_20106e9209f64bebd05b."""
    return f"AG_{moment:%Y%m%d}_{_hex(20)}"


def legacy_originator_conversation_id() -> str:
    """What Daraja makes up when the caller sends none (B2C v1, Transaction Status), e.g. 16740-34861180-1."""
    return f"{10000 + secrets.randbelow(90000)}-{10000000 + secrets.randbelow(90000000)}-1"


def receipt_number(moment: datetime) -> str:
    """10 uppercase alphanumerics; like real receipts the first letter encodes the year (S = 2024) and the
    second the month (G = July), so receipts sort roughly by date."""
    year = string.ascii_uppercase[(moment.year - 2006) % 26]
    month = string.ascii_uppercase[moment.month - 1]
    return year + month + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(8))


def access_token() -> str:
    """Opaque, 28 characters, not a JWT."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(28))
