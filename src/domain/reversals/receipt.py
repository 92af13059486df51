import re

from domain.shared.errors import ValidationError

# M-PESA receipts are ten uppercase letters and digits (docs/daraja.md#transaction-reversal).
_RECEIPT = re.compile(r"[A-Z0-9]{10}")


def parse_receipt(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationError("receipt", "must be a string")
    if not _RECEIPT.fullmatch(raw):
        raise ValidationError("receipt", "must be an M-PESA receipt: 10 uppercase letters and digits")
    return raw
