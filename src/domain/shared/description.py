from dataclasses import dataclass

from domain.shared.errors import ValidationError

# B2C Remarks allow 2–100 characters (docs/daraja.md#field-limits); STK's TransactionDesc allows only 13, so the
# Daraja adapter shortens it on the wire while the gateway keeps and returns the full text.
MAXIMUM_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Description:
    text: str

    @classmethod
    def parse(cls, raw: object, field: str = "description") -> "Description":
        if not isinstance(raw, str):
            raise ValidationError(field, "must be a string")
        text = " ".join(raw.split())
        if not text:
            raise ValidationError(field, "must not be empty")
        if len(text) > MAXIMUM_LENGTH:
            raise ValidationError(field, f"must be at most {MAXIMUM_LENGTH} characters")
        return cls(text)

    def __str__(self) -> str:
        return self.text
