import structlog

from domain.reversals.ports import Reversals
from domain.reversals.use_cases.handle_reversal_result import ReversalResultOutcome
from domain.reversals.use_cases.mark_payment_reversed import MarkPaymentReversed
from domain.shared.errors import CallbackRejectedError, ConcurrentUpdateError, PaymentFinalError
from domain.shared.ports import Clock
from domain.shared.status_query import status_token_digest
from domain.shared.transaction_status import TransactionStatusResult

logger = structlog.get_logger()

_ATTEMPTS = 3


class HandleReversalStatusResult:
    """Settle the reversal a Transaction Status answer is about, named by the secret of the one query it has open; an
    answer to a query never asked, answered already or superseded is refused and changes nothing."""

    def __init__(self, reversals: Reversals, mark_payment: MarkPaymentReversed, clock: Clock) -> None:
        self._reversals, self._mark_payment, self._clock = reversals, mark_payment, clock

    async def __call__(self, query_token: str, result: TransactionStatusResult) -> ReversalResultOutcome:
        for _ in range(_ATTEMPTS):
            reversal = await self._reversals.by_status_query(status_token_digest(query_token))
            if reversal is None:
                raise CallbackRejectedError("no open Transaction Status query has this status URL")
            before = reversal.status
            try:
                reversal.settle_from_status(query_token, result, self._clock.now())
            except PaymentFinalError:
                return ReversalResultOutcome.DUPLICATE
            try:
                await self._reversals.save(reversal)
            except ConcurrentUpdateError:
                continue
            logger.info(
                "reversal_reconciled",
                reversal_id=reversal.id,
                receipt=reversal.receipt,
                transaction_status=result.status,
                status=reversal.status.value,
            )
            await self._mark_payment(reversal)
            if reversal.status is before:
                return ReversalResultOutcome.STILL_OPEN
            return ReversalResultOutcome(reversal.status.value)
        raise ConcurrentUpdateError("the reversal kept changing while its status answer was applied")

    async def query_timed_out(self, query_token: str) -> None:
        """Daraja's time-out notice for a query: nothing changes; the reconciler asks again at its next check."""
        reversal = await self._reversals.by_status_query(status_token_digest(query_token))
        if reversal is None:
            raise CallbackRejectedError("no open Transaction Status query has this time-out URL")
        logger.info("reversal_status_query_timed_out", reversal_id=reversal.id, status=reversal.status.value)
