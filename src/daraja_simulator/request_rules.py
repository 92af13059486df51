"""Daraja's rules for request fields (docs/daraja.md: #stk-push-request, #stk-push-query, #b2c-request,
#transaction-status, #callback-url-rules, #field-limits). Each rule returns the field's value in a
normal form or raises Daraja's `400.002.02 Bad Request - Invalid <Field>`."""

import base64
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec

from daraja_simulator.errors import invalid_field, invalid_payload

_DIGITS = re.compile(r"^\d+$")
_WHOLE = re.compile(r"^\d+(?:\.0+)?$")
# Safaricom lines only: 2547XXXXXXXX, and the newer 2541XXXXXXXX ranges.
_MSISDN = re.compile(r"^254[17]\d{8}$")
_TIMESTAMP = re.compile(r"^\d{14}$")
# Daraja refuses callback URLs containing these words, in any case (docs/daraja.md#callback-url-rules); "exe" also
# covers "exec".
_FORBIDDEN_URL_WORDS = ("mpesa", "m-pesa", "safaricom", "exe", "cmd", "sql", "query")

Body = Mapping[str, Any]


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        decoded = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise invalid_payload() from None
    if not isinstance(decoded, dict):
        raise invalid_payload()
    return decoded


def _text_of_number(value: object) -> str | None:
    """Daraja takes numeric fields as JSON numbers or numeric strings alike."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def digits(body: Body, name: str, min_length: int = 1, max_length: int = 20) -> str:
    text = _text_of_number(body.get(name))
    if text is None or not _DIGITS.match(text) or not min_length <= len(text) <= max_length:
        raise invalid_field(name)
    return text


def shortcode(body: Body, name: str) -> str:
    """Paybill, till, store or B2C shortcode: 5 to 7 digits."""
    return digits(body, name, 5, 7)


def msisdn(body: Body, name: str) -> str:
    text = _text_of_number(body.get(name))
    if text is None or not _MSISDN.match(text):
        raise invalid_field(name)
    return text


def whole_amount(body: Body, name: str = "Amount", minimum: int = 1, maximum: int | None = None) -> int:
    """Whole shillings, as a number or numeric string; 10.5 or "10.5" is refused ("Invalid Amount")."""
    value = body.get(name)
    amount: int | None = None
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, int):
        amount = value
    elif isinstance(value, float) and value.is_integer():
        amount = int(value)
    elif isinstance(value, str) and _WHOLE.match(value):
        amount = int(float(value))
    if amount is None or amount < minimum or (maximum is not None and amount > maximum):
        raise invalid_field(name)
    return amount


def timestamp(body: Body, name: str = "Timestamp") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise invalid_field(name)
    try:
        # A real date; the zone is not checked (docs/daraja.md#stk-push-request).
        datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        raise invalid_field(name) from None
    return value


def one_of(body: Body, name: str, allowed: Collection[str]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or value not in allowed:
        raise invalid_field(name)
    return value


def text(body: Body, name: str, max_length: int, min_length: int = 1) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not min_length <= len(value) <= max_length:
        raise invalid_field(name)
    return value


def optional_text(body: Body, name: str, max_length: int) -> str | None:
    if body.get(name) is None:
        return None
    return text(body, name, max_length, min_length=0)


def url(body: Body, name: str, forbid_words: bool = False) -> str:
    value = body.get(name)
    if not isinstance(value, str) or any(character.isspace() for character in value):
        raise invalid_field(name)
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise invalid_field(name) from None
    if parts.scheme not in ("http", "https") or not host:
        raise invalid_field(name)
    if forbid_words and any(word in value.lower() for word in _FORBIDDEN_URL_WORDS):
        raise invalid_field(name)
    return value


def stk_password(business_shortcode: str, passkey: str, timestamp_text: str) -> str:
    """base64(shortcode + passkey + timestamp): plain concatenation, no hashing (docs/daraja.md#stk-push-request)."""
    return base64.b64encode(f"{business_shortcode}{passkey}{timestamp_text}".encode()).decode()


def bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
