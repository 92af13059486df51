import structlog

from domain.c2b.confirmation import C2bPayment
from domain.c2b.ports import PaymentRequests
from domain.c2b.use_cases.announce_c2b_change import AnnounceC2bChange
from domain.events.ports import Broadcaster
from domain.reversals.ports import ReversibleC2bPayments
from domain.reversals.reversal import Reversal, ReversalStatus
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.ports import Clock
from domain.shared.status_change import ChangeCause

logger = structlog.get_logger()

_ATTEMPTS = 5
# As many as a confirmation gets (domain.c2b.use_cases.confirm_payment): payments of the request may be arriving.
_REQUEST_ATTEMPTS = 16


class MarkC2bPaymentReversed:
    """Link a reversed reversal on the C2B payment it refunded, then settle the payment request that counted it again
    from its other payments, telling the request's clients each time; harmless to repeat.

    The payment is linked before the request is settled again, and a repeat goes on to the request even when the
    payment is linked already: should the process die in between, Daraja's repeated Result finishes the job.
    """

    def __init__(
        self, payments: ReversibleC2bPayments, requests: PaymentRequests, broadcaster: Broadcaster, clock: Clock
    ) -> None:
        self._payments, self._requests, self._clock = payments, requests, clock
        self._announce = AnnounceC2bChange(broadcaster)

    async def __call__(self, reversal: Reversal) -> None:
        if reversal.status is not ReversalStatus.REVERSED:
            return
        payment = await self._link(reversal)
        if payment is None or not payment.match.matched or payment.subject is None or payment.request_id is None:
            return  # not counted on any request (unmatched, or the request had closed): nothing to settle again
        cause = reversal.history[-1].cause if reversal.history else ChangeCause.CALLBACK
        await self._settle_request(payment, payment.subject, payment.request_id, cause)

    async def _link(self, reversal: Reversal) -> C2bPayment | None:
        for _ in range(_ATTEMPTS):
            payment = await self._payments.by_trans_id(reversal.receipt)
            if payment is None or not payment.mark_reversed(reversal.id, self._clock.now()):
                return payment
            try:
                await self._payments.save(payment)
            except ConcurrentUpdateError:
                continue
            await self._announce.payment(payment)
            logger.info("c2b_payment_reversed", trans_id=payment.trans_id, reversal_id=reversal.id)
            return payment
        raise ConcurrentUpdateError(f"C2B payment {reversal.receipt} kept changing while it was marked reversed")

    async def _settle_request(self, payment: C2bPayment, subject: str, request_id: str, cause: ChangeCause) -> None:
        for _ in range(_REQUEST_ATTEMPTS):
            request = await self._requests.by_id(subject, request_id)
            if request is None:
                return
            # A closed request's account reference may belong to a newer open request by now: only one may be open.
            newest = await self._requests.by_reference(request.reference.text) if request.status.final else request
            may_reopen = newest is None or newest.id == request.id
            before = request.status
            now = self._clock.now()
            if not request.reverse(
                payment.trans_id, payment.transaction.amount, now, may_reopen=may_reopen, cause=cause
            ):
                return
            try:
                await self._requests.save(request)
            except ConcurrentUpdateError:
                continue
            await self._announce.request(request)
            logger.info(
                "c2b_request_settled_after_reversal",
                request_id=request.id,
                trans_id=payment.trans_id,
                was=before.value,
                status=request.status.value,
                received=request.received,
            )
            return
        raise ConcurrentUpdateError(f"payment request {request_id} kept changing while a reversal was taken off it")
