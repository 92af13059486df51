from enum import StrEnum

import structlog

from domain.reversals.ports import Reversals
from domain.reversals.reversal import ReversalResult
from domain.reversals.use_cases.mark_payment_reversed import MarkPaymentReversed
from domain.shared.errors import ConcurrentUpdateError, PaymentFinalError, UnknownCallbackTokenError
from domain.shared.ports import Clock

logger = structlog.get_logger()

_ATTEMPTS = 5


class ReversalResultOutcome(StrEnum):
    REVERSED = "reversed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"
    STILL_OPEN = "still_open"  # a Transaction Status answer that settled nothing ("Pending", or nothing found)


class HandleReversalResult:
    """Apply Daraja's Result (or queue time-out) to the reversal whose secret token the URL carried, once.

    The reversal is stored before the payment is marked reversed: should the process die in between, Daraja's
    repeat of the Result finds the reversal final and finishes marking the payment.
    """

    def __init__(self, reversals: Reversals, mark_payment: MarkPaymentReversed, clock: Clock) -> None:
        self._reversals, self._mark_payment, self._clock = reversals, mark_payment, clock

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
