from domain.shared.errors import NotFoundError, ValidationError
from domain.stk.payment import Payment
from domain.stk.ports import PaymentRepository

_LONGEST_ID = 64


class PaymentStatusQuery:
    """The stored state of one payment of this subject, by CheckoutRequestID or gateway id."""

    def __init__(self, payments: PaymentRepository) -> None:
        self._payments = payments

    async def __call__(self, subject: str, checkout: object) -> Payment:
        if not isinstance(checkout, str) or not 0 < len(checkout.strip()) <= _LONGEST_ID:
            raise ValidationError("checkout", f"must be a CheckoutRequestID string of 1 to {_LONGEST_ID} characters")
        payment = await self._payments.by_checkout(subject, checkout.strip())
        if payment is None:
            raise NotFoundError(f"no payment {checkout.strip()!r} on this hash")
        return payment
