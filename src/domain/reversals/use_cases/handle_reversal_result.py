from enum import StrEnum

import structlog

from domain.errors import ConcurrentUpdateError, PaymentFinalError, UnknownCallbackTokenError
from domain.ports import Broadcaster, Clock
from domain.reversals.ports import Reversals, ReversiblePayments
from domain.reversals.reversal import Reversal, ReversalResult, ReversalStatus
from domain.topics import stk_topic

logger = structlog.get_logger()

_ATTEMPTS = 5


class ReversalResultOutcome(StrEnum):
    REVERSED = "reversed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"


class HandleReversalResult:
    """Apply Daraja's Result (or queue time-out) to the reversal whose secret token the URL carried, once.

    The reversal is stored before the payment is marked reversed: should the process die in between, Daraja's
    repeat of the Result finds the reversal final and finishes marking the payment.
    """

    def __init__(
        self, reversals: Reversals, payments: ReversiblePayments, broadcaster: Broadcaster, clock: Clock
    ) -> None:
        self._reversals, self._payments, self._broadcaster, self._clock = reversals, payments, broadcaster, clock

    async def __call__(
        self, token: str, result: ReversalResult, *, queue_timeout: bool = False
    ) -> ReversalResultOutcome:
        for _ in range(_ATTEMPTS):
            reversal = await self._reversals.by_callback_token(token)
            if reversal is None:
                raise UnknownCallbackTokenError("no reversal has this callback token")
            try:
                if queue_timeout:
                    reversal.time_out(result, self._clock.now())
                else:
                    reversal.settle(result, self._clock.now())
            except PaymentFinalError:
                await self._mark_payment(reversal)
                return ReversalResultOutcome.DUPLICATE
            try:
                await self._reversals.save(reversal)
            except ConcurrentUpdateError:
                continue  # the worker recorded Daraja's answer meanwhile, or the same Result was applied: look again
            logger.info(
                "reversal_result",
                reversal_id=reversal.id,
                receipt=reversal.receipt,
                status=reversal.status.value,
                result_code=result.result_code,
            )
            await self._mark_payment(reversal)
            return ReversalResultOutcome(reversal.status.value)
        raise ConcurrentUpdateError("the reversal kept changing while its Result was applied")

    async def _mark_payment(self, reversal: Reversal) -> None:
        if reversal.status is not ReversalStatus.REVERSED:
            return
        for _ in range(_ATTEMPTS):
            payment = await self._payments.by_receipt(reversal.receipt)
            if payment is None or not payment.mark_reversed(reversal.id, self._clock.now()):
                return
            try:
                await self._payments.save(payment)
            except ConcurrentUpdateError:
                continue
            await self._broadcaster.publish(stk_topic(payment.hash), payment.view())
            return
        raise ConcurrentUpdateError(f"payment {reversal.payment_id} kept changing while it was marked reversed")
