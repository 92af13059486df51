"""Reading Daraja's loosely typed values."""

import re

from domain.shared.errors import ValidationError

# Digits, optionally with decimals, and nothing else: no sign, spaces, exponent or thousands separator. Bounded,
# far above any M-PESA amount, so no conversion of a huge digit string is ever attempted.
_NUMERIC_TEXT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15})?")


def whole_shillings(value: object, field: str) -> int | None:
    """An amount from any Daraja body: None when absent, else a whole number of shillings.

    Daraja sends 1, 1.00 or, in Safaricom's own Transaction Status sample, the string "300" (docs/daraja.md);
    a number or such a numeric string is read, and anything else present (other text, a fraction, a negative,
    true, an object) is refused, so a success can never be recorded against a guessed amount."""
    if value is None:
        return None
    if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
        number: object = float(value) if "." in value else int(value)
    else:
        number = value
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ValidationError(field, "an amount must be a number or a numeric string")
    if isinstance(number, float) and not number.is_integer():
        raise ValidationError(field, "an amount must be a whole number of shillings")
    if number < 0:
        raise ValidationError(field, "an amount is never negative")
    return int(number)
