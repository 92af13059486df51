"""The account number a customer types on the SIM menu: the key a Paybill payment is matched by (docs/c2b.md)."""

import re
from dataclasses import dataclass

from domain.shared.errors import ValidationError

# Daraja carries BillRefNumber as at most 20 characters.
ACCOUNT_REFERENCE_LENGTH = 20
_TYPEABLE = re.compile(r"[A-Z0-9][A-Z0-9_./-]*")


@dataclass(frozen=True, slots=True)
class AccountReference:
    """Trimmed and upper-cased, inner spaces dropped: customers type account numbers by hand, in any case."""

    text: str

    @classmethod
    def parse(cls, raw: object, field: str = "account_reference") -> "AccountReference":
        if not isinstance(raw, str):
            raise ValidationError(field, "must be a string")
        text = cls.normalised(raw)
        if not 1 <= len(text) <= ACCOUNT_REFERENCE_LENGTH:
            raise ValidationError(field, f"must be 1 to {ACCOUNT_REFERENCE_LENGTH} characters")
        if not _TYPEABLE.fullmatch(text):
            raise ValidationError(field, "may hold only letters, digits and _ . / - (not first)")
        return cls(text)

    @staticmethod
    def normalised(raw: str) -> str:
        """What a customer's BillRefNumber is compared as; never refused (any text may arrive from Daraja)."""
        return "".join(raw.split()).upper()

    def __str__(self) -> str:
        return self.text
