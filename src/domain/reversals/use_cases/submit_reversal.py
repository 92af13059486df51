from collections.abc import Callable
from datetime import timedelta

import structlog

from domain.reversals.ports import ReversalProvider, Reversals
from domain.reversals.reversal import FIRST_CHECK_AFTER, Reversal
from domain.shared.errors import (
    ConcurrentUpdateError,
    PaymentFinalError,
    ProviderRejectedError,
    ProviderUnreachableError,
)
from domain.shared.ports import Clock

logger = structlog.get_logger()

_ATTEMPTS = 3


class SubmitNextReversal:
    """Claim the oldest requested reversal and send it to Daraja at most once.

    That it is being sent is stored before Daraja is called, so a worker that dies mid-call leaves a reversal whose
    outcome is unknown, waiting for Daraja's Result or a Transaction Status answer, never one that is sent again.
    """

    def __init__(
        self,
        reversals: Reversals,
        provider: ReversalProvider,
        clock: Clock,
        worker_id: str,
        lease_seconds: float,
        first_check_after: timedelta = FIRST_CHECK_AFTER,
    ) -> None:
        self._reversals, self._provider, self._clock = reversals, provider, clock
        self._worker_id, self._lease = worker_id, timedelta(seconds=lease_seconds)
        self._first_check_after = first_check_after

    async def __call__(self) -> Reversal | None:
        """The reversal handled, or None when none is waiting.

        Raises ProviderUnreachableError, after putting the reversal back in the queue, so the caller pauses.
        """
        now = self._clock.now()
        reversal = await self._reversals.claim_next(self._worker_id, now, now + self._lease)
        if reversal is None:
            return None
        try:
            reversal.begin_sending(self._clock.now())
            await self._reversals.save(reversal)
        except (ConcurrentUpdateError, PaymentFinalError):
            # Our lease ended and another worker took it: not ours to send.
            return await self._stored(reversal)
        try:
            with structlog.contextvars.bound_contextvars(reversal_id=reversal.id):
                accepted = await self._provider.send_reversal(reversal.reversal_request())
        except ProviderRejectedError as refusal:
            code, message = refusal.provider_code, refusal.provider_message
            return await self._record(reversal, lambda r: r.refuse(code, message, self._clock.now()))
        except ProviderUnreachableError:
            await self._record(reversal, lambda r: r.return_to_queue(self._clock.now()))
            raise
        except Exception:
            # The request may be at Daraja: only its Result, or Transaction Status, may decide now.
            logger.exception("reversal_send_outcome_unknown", reversal_id=reversal.id, receipt=reversal.receipt)
            return await self._record(reversal, lambda r: r.mark_outcome_unknown(self._clock.now()))
        return await self._record(reversal, lambda r: r.mark_sent(accepted, self._clock.now(), self._first_check_after))

    async def _record(self, reversal: Reversal, change: Callable[[Reversal], None]) -> Reversal:
        """Apply Daraja's answer and store it; when a Result got there first, the stored, settled state wins."""
        for _ in range(_ATTEMPTS):
            try:
                change(reversal)
            except PaymentFinalError:
                return reversal
            try:
                await self._reversals.save(reversal)
            except ConcurrentUpdateError:
                reversal = await self._stored(reversal)
                continue
            logger.info(
                "reversal_submission",
                reversal_id=reversal.id,
                receipt=reversal.receipt,
                status=reversal.status.value,
                conversation_id=reversal.conversation_id,
                result_code=reversal.result_code,
            )
            return reversal
        raise ConcurrentUpdateError(f"reversal {reversal.id} kept changing while its submission was recorded")

    async def _stored(self, reversal: Reversal) -> Reversal:
        stored = await self._reversals.by_id(reversal.id)
        if stored is None:
            raise ConcurrentUpdateError(f"reversal {reversal.id} disappeared from the store")
        return stored
