from datetime import timedelta

from domain.reversals.ports import ReversalProvider, Reversals
from domain.reversals.reversal import FIRST_CHECK_AFTER, Reversal
from domain.shared.check_schedule import BACKOFF_FACTOR, JITTER, MAX_CHECK_DELAY, CheckSchedule
from domain.shared.errors import ConcurrentUpdateError, PaymentFinalError
from domain.shared.ports import Clock, Identifiers, RandomSource
from domain.shared.status_query import StatusQueryRequest
from domain.shared.status_round import ask_status_of_each


class ReconcileReversals:
    """Ask Daraja's Transaction Status about reversals sent or unknown whose Result is overdue; never resend.

    As for withdrawals: each due reversal is first claimed by a save conditional on the version read, which pushes
    its next check back and opens a query with a fresh secret, so of several reconcilers one asks this round; the
    answer comes to the status URL that secret names. A reversal Daraja never named (its answer to the request was
    lost) cannot be asked about by id: it waits for its Result, or for an operator (docs/reversals.md).
    """

    def __init__(
        self,
        reversals: Reversals,
        provider: ReversalProvider,
        clock: Clock,
        random: RandomSource,
        identifiers: Identifiers,
        *,
        initial_delay_seconds: float = FIRST_CHECK_AFTER.total_seconds(),
        max_delay_seconds: float = MAX_CHECK_DELAY.total_seconds(),
    ) -> None:
        self._reversals, self._provider, self._clock, self._random = reversals, provider, clock, random
        self._identifiers = identifiers
        # The first check never waits longer than the longest wait between checks (RECONCILE_MAX_DELAY_SECONDS).
        longest = timedelta(seconds=max_delay_seconds)
        first = min(timedelta(seconds=initial_delay_seconds), longest)
        self._schedule = CheckSchedule(first, longest, BACKOFF_FACTOR, JITTER)

    async def __call__(self, limit: int) -> int:
        """Claim and ask about up to `limit` due reversals; the number claimed."""
        due = await self._reversals.due_for_check(self._clock.now(), limit)
        return await ask_status_of_each(due, self._claim, self._provider, kind="reversal", about=_about)

    async def _claim(self, reversal: Reversal) -> StatusQueryRequest | None:
        now = self._clock.now()
        if not reversal.queryable:
            return None
        next_check = self._schedule.next_check(now, reversal.check_attempts, self._random.uniform(-1.0, 1.0))
        try:
            query = reversal.open_status_query(self._identifiers.new_secret(), now, next_check)
            await self._reversals.save(reversal)
        except (ConcurrentUpdateError, PaymentFinalError):
            return None  # another reconciler claimed it, or a Result settled it, since it was read
        return query


def _about(reversal: Reversal) -> dict[str, object]:
    return {
        "reversal_id": reversal.id,
        "receipt": reversal.receipt,
        "status": reversal.status.value,
        "check_attempts": reversal.check_attempts,
    }
