from dataclasses import dataclass

from domain.shared.errors import ValidationError

STK_MINIMUM = 1
# Daraja's per-transaction ceiling (docs/daraja.md#field-limits); regulator-driven, so a setting can lower it.
TRANSACTION_MAXIMUM = 250_000


@dataclass(frozen=True, slots=True)
class Amount:
    """Whole Kenyan shillings. Never a float: M-PESA rejects fractions."""

    shillings: int

    @classmethod
    def parse(
        cls, raw: object, minimum: int = STK_MINIMUM, maximum: int = TRANSACTION_MAXIMUM, field: str = "amount"
    ) -> "Amount":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValidationError(field, "must be a whole number of shillings (a JSON integer)")
        if not minimum <= raw <= maximum:
            raise ValidationError(field, f"must be between {minimum} and {maximum} shillings")
        return cls(raw)

    def __int__(self) -> int:
        return self.shillings
