from datetime import timedelta

from domain.b2c.ports import PayoutProvider, WithdrawalRepository
from domain.b2c.withdrawal import Withdrawal
from domain.shared.check_schedule import B2C_FIRST_CHECK_AFTER, BACKOFF_FACTOR, JITTER, MAX_CHECK_DELAY, CheckSchedule
from domain.shared.errors import ConcurrentUpdateError, PaymentFinalError
from domain.shared.ports import Clock, Identifiers, RandomSource
from domain.shared.status_query import StatusQueryRequest
from domain.shared.status_round import ask_status_of_each


class ReconcileWithdrawals:
    """Ask Daraja's Transaction Status (docs/daraja.md#transaction-status) about withdrawals still submitted or timed
    out; never resend.

    Each due withdrawal is first claimed: its next check is pushed back (capped exponential back-off with jitter) and
    a new status query opened with a fresh secret, in a save conditional on the version read, so of several
    reconcilers exactly one asks about it this round. The answer arrives later at the status URL that secret names,
    for HandleTransactionStatusResult; the secret of any earlier query stops working with the claim.
    """

    def __init__(
        self,
        withdrawals: WithdrawalRepository,
        provider: PayoutProvider,
        clock: Clock,
        random: RandomSource,
        identifiers: Identifiers,
        *,
        initial_delay_seconds: float = B2C_FIRST_CHECK_AFTER.total_seconds(),
        max_delay_seconds: float = MAX_CHECK_DELAY.total_seconds(),
        backoff_factor: float = BACKOFF_FACTOR,
        jitter: float = JITTER,
    ) -> None:
        self._withdrawals, self._provider, self._clock, self._random = withdrawals, provider, clock, random
        self._identifiers = identifiers
        self._schedule = CheckSchedule(
            timedelta(seconds=initial_delay_seconds), timedelta(seconds=max_delay_seconds), backoff_factor, jitter
        )

    async def __call__(self, limit: int) -> int:
        """Claim and ask about up to `limit` due withdrawals; the number claimed. Stops the round early while Daraja
        is unavailable (the rest stay due); StoreUnavailableError stops it too and propagates."""
        due = await self._withdrawals.due_for_check(self._clock.now(), limit)
        return await ask_status_of_each(due, self._claim, self._provider, kind="b2c", about=_about)

    async def _claim(self, withdrawal: Withdrawal) -> StatusQueryRequest | None:
        """The query to ask, stored open on the withdrawal; None when it is not ours to ask about this round."""
        now = self._clock.now()
        spread = self._random.uniform(-1.0, 1.0)
        try:
            withdrawal.schedule_check(self._schedule.next_check(now, withdrawal.check_attempts, spread))
            query = withdrawal.open_status_query(self._identifiers.new_secret(), now)
            await self._withdrawals.save(withdrawal)
        except (ConcurrentUpdateError, PaymentFinalError):
            # Another reconciler claimed it, or a Result settled it, since it was read: not ours this round.
            return None
        return query


def _about(withdrawal: Withdrawal) -> dict[str, object]:
    return {
        "withdrawal_id": withdrawal.id,
        "hash": withdrawal.subject,
        "originator_conversation_id": withdrawal.originator_conversation_id,
        "status": withdrawal.status.value,
        "check_attempts": withdrawal.check_attempts,
    }
