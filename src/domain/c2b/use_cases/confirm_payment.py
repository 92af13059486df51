from dataclasses import dataclass

import structlog

from domain.c2b.confirmation import C2bPayment, C2bTransaction, PaymentMatch
from domain.c2b.payment_request import PaymentRequest, RequestFinalError
from domain.c2b.ports import C2bPayments, PaymentRequests
from domain.c2b.use_cases.announce_c2b_change import AnnounceC2bChange
from domain.events.ports import Broadcaster
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.ports import Clock

logger = structlog.get_logger()

# A lost save means another confirmation of the same request was counted in between, so a confirmation can lose at
# most once per confirmation racing it; this bounds how many may race before one is left for Daraja's repeat.
_ATTEMPTS = 16


@dataclass(frozen=True, slots=True)
class ConfirmOutcome:
    payment: C2bPayment
    # False when Daraja (or a reconciliation) had already told the gateway of this TransID.
    new: bool
    request: PaymentRequest | None


class ConfirmPayment:
    """Store a confirmed C2B payment once per TransID and count it, once, on the open request it names.

    Three store commands for a new payment: the request by reference, the payment's insert (its TransID is a unique
    key, so a repeat stops there) and the request's conditional save. A payment no open request expects is stored
    unmatched, never dropped. The insert comes before the request's save: if the process dies between them, Daraja's
    repeat finds the payment stored as applied and finishes counting it on the request it names.
    """

    def __init__(
        self, requests: PaymentRequests, payments: C2bPayments, broadcaster: Broadcaster, clock: Clock
    ) -> None:
        self._requests, self._payments, self._clock = requests, payments, clock
        self._announce = AnnounceC2bChange(broadcaster)

    async def __call__(self, transaction: C2bTransaction, source: str = "confirmation") -> ConfirmOutcome:
        now = self._clock.now()
        request = await self._requests.by_reference(transaction.reference) if transaction.reference else None
        if request is None:
            match = PaymentMatch.UNKNOWN_REFERENCE
        elif transaction.trans_id in request.confirmations or request.accepts_at(now):
            match = PaymentMatch.APPLIED
        else:
            match = PaymentMatch.REQUEST_CLOSED
        matched = request if match.matched else None
        payment = C2bPayment(
            transaction,
            now,
            match,
            request_id=None if request is None else request.id,
            subject=None if request is None else request.subject,
            source=source,
        )
        if not await self._payments.record(payment):
            return await self._repeat(transaction)
        # Told before the request it counts on: a till screen shows the payment, then what it settled.
        await self._announce.payment(payment)
        if matched is not None:
            matched = await self._count(matched, payment)
        (logger.info if match.matched else logger.warning)(
            "c2b_payment_confirmed",
            trans_id=transaction.trans_id,
            amount=transaction.amount,
            reference=transaction.reference,
            payer=transaction.payer.masked,
            match=match.value,
            request_id=payment.request_id,
            status=None if matched is None else matched.status.value,
            source=source,
        )
        return ConfirmOutcome(payment, True, matched)

    async def _repeat(self, transaction: C2bTransaction) -> ConfirmOutcome:
        stored = await self._payments.by_trans_id(transaction.trans_id)
        assert stored is not None  # record() said the TransID is stored
        request = None
        if stored.match.matched and stored.subject is not None and stored.request_id is not None:
            found = await self._requests.by_id(stored.subject, stored.request_id)
            if found is not None and transaction.trans_id not in found.confirmations:
                request = await self._count(found, stored)  # the first delivery died before counting it
            else:
                request = found
        if stored.transaction != transaction:
            logger.error(
                "c2b_confirmation_differs",
                trans_id=transaction.trans_id,
                stored_amount=stored.transaction.amount,
                amount=transaction.amount,
            )
        else:
            logger.info("c2b_confirmation_duplicate", trans_id=transaction.trans_id)
        return ConfirmOutcome(stored, False, request)

    async def _count(self, request: PaymentRequest, payment: C2bPayment) -> PaymentRequest:
        for _ in range(_ATTEMPTS):
            try:
                if not request.apply(payment.transaction, payment.received_at):
                    return request
            except RequestFinalError:
                logger.error("c2b_payment_after_close", trans_id=payment.trans_id, request_id=request.id)
                return request
            try:
                await self._requests.save(request)
            except ConcurrentUpdateError:
                reread = await self._requests.by_id(request.subject, request.id)
                assert reread is not None  # requests are never deleted
                request = reread
                continue
            await self._announce.request(request)
            return request
        raise ConcurrentUpdateError(f"payment request {request.id} kept changing under confirmation {payment.trans_id}")
