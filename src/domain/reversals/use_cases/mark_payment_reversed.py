from domain.events.ports import Broadcaster
from domain.reversals.ports import ReversiblePayments
from domain.reversals.reversal import PaymentKind, Reversal, ReversalStatus
from domain.reversals.use_cases.mark_c2b_payment_reversed import MarkC2bPaymentReversed
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.ports import Clock
from domain.stk.use_cases.announce_payment import AnnouncePayment

_ATTEMPTS = 5


class MarkPaymentReversed:
    """Link a reversed reversal on the payment it refunded and tell the payment's clients, once; harmless to repeat
    (a payment linked already is left as it is). A reversal of a C2B payment is handed to `c2b`."""

    def __init__(
        self,
        payments: ReversiblePayments,
        broadcaster: Broadcaster,
        clock: Clock,
        c2b: MarkC2bPaymentReversed | None = None,
    ) -> None:
        self._payments, self._announce, self._clock, self._c2b = payments, AnnouncePayment(broadcaster), clock, c2b

    async def __call__(self, reversal: Reversal) -> None:
        if reversal.status is not ReversalStatus.REVERSED:
            return
        if reversal.payment_kind is PaymentKind.C2B:
            if self._c2b is not None:
                await self._c2b(reversal)
            return
        for _ in range(_ATTEMPTS):
            payment = await self._payments.by_receipt(reversal.receipt)
            if payment is None or not payment.mark_reversed(reversal.id, self._clock.now()):
                return
            try:
                await self._payments.save(payment)
            except ConcurrentUpdateError:
                continue
            await self._announce(payment)
            return
        raise ConcurrentUpdateError(f"payment {reversal.payment_id} kept changing while it was marked reversed")
