"""The read API's C2B payments: by account reference, by payer, or both, newest first."""

from domain.c2b.account_reference import AccountReference
from domain.c2b.confirmation import C2bPayment
from domain.c2b.payer import stored_forms_of
from domain.c2b.ports import C2bPayments
from domain.shared.errors import ValidationError
from domain.shared.phone import Phone

MAX_LISTED = 100


class FindC2bPayments:
    def __init__(self, payments: C2bPayments) -> None:
        self._payments = payments

    async def __call__(self, reference: object = None, phone: object = None, limit: int = 50) -> list[C2bPayment]:
        """Payments to `reference` and/or from `phone` (any Kenyan form), at most `limit` (1 to 100)."""
        if reference is None and phone is None:
            raise ValidationError("reference", "give a reference, a phone, or both")
        if not 1 <= limit <= MAX_LISTED:
            raise ValidationError("limit", f"must be 1 to {MAX_LISTED}")
        wanted = None if reference is None else AccountReference.parse(reference, "reference").text
        if phone is None:
            assert wanted is not None  # checked above: one of the two was given
            return await self._payments.by_reference(wanted, limit)
        msisdn = Phone.parse(phone).msisdn
        if wanted is None:
            found = await self._payments.by_payer(stored_forms_of(msisdn), limit)
        else:
            found = await self._payments.by_reference(wanted, MAX_LISTED)
        # A masked number matches every customer with the same visible digits: kept only where it may be this one.
        return [payment for payment in found if payment.transaction.payer.may_be(msisdn)][:limit]
