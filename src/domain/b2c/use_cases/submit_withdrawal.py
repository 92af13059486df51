from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import structlog

from domain.b2c.ports import DailyAllowance, PayoutProvider, WithdrawalRepository
from domain.b2c.use_cases.announce_withdrawal import AnnounceWithdrawal
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.balances.ports import KnownFunds
from domain.events.ports import Broadcaster
from domain.shared.check_schedule import B2C_FIRST_CHECK_AFTER
from domain.shared.errors import (
    ConcurrentUpdateError,
    DuplicatePayoutError,
    PaymentFinalError,
    ProviderRejectedError,
    ProviderUnreachableError,
)
from domain.shared.ports import Clock

logger = structlog.get_logger()

_ATTEMPTS = 3


class SubmitNextWithdrawal:
    """Claim the oldest queued withdrawal and send it to Daraja at most once.

    The submission is stored before Daraja is called, so a worker that dies mid-call leaves a withdrawal that waits
    for Daraja's Result or reconciliation, never one that is sent again.
    """

    def __init__(
        self,
        withdrawals: WithdrawalRepository,
        provider: PayoutProvider,
        allowance: DailyAllowance,
        broadcaster: Broadcaster,
        clock: Clock,
        worker_id: str,
        lease_seconds: float,
        first_check_after: timedelta = B2C_FIRST_CHECK_AFTER,
        funds: KnownFunds | None = None,
        on_uncovered: Callable[[], None] | None = None,
    ) -> None:
        self._withdrawals, self._provider, self._clock = withdrawals, provider, clock
        self._announce_change = AnnounceWithdrawal(allowance, broadcaster)
        self._worker_id, self._lease = worker_id, timedelta(seconds=lease_seconds)
        self._first_check_after = first_check_after
        self._funds, self._on_uncovered = funds, on_uncovered

    async def __call__(self) -> Withdrawal | None:
        """The withdrawal handled, or None when the queue is empty.

        Raises ProviderUnreachableError, after putting the withdrawal back in the queue, so the caller pauses.
        """
        now = self._clock.now()
        # Claimed and marked as being sent in one write: from that write on it is never sent again, and a worker
        # that loses the race for it (another took it, or a Result decided it) never sends it at all.
        withdrawal = await self._withdrawals.claim_next(
            self._worker_id,
            now,
            now + self._lease,
            prepare=lambda leased: leased.begin_submission(now, first_check_after=self._first_check_after),
        )
        if withdrawal is None:
            return None
        await self._warn_if_uncovered(withdrawal)
        try:
            # Bound so the adapter's own log lines (the Daraja call) name the withdrawal they belong to.
            with structlog.contextvars.bound_contextvars(withdrawal_id=withdrawal.id, hash=withdrawal.subject):
                accepted = await self._provider.send_b2c(withdrawal.b2c_request())
        except ProviderRejectedError as refusal:
            code, message = refusal.provider_code, refusal.provider_message
            return await self._record(withdrawal, lambda w: w.reject(code, message, self._clock.now()))
        except DuplicatePayoutError:
            return await self._record(
                withdrawal, lambda w: w.mark_already_sent(self._clock.now(), first_check_after=self._first_check_after)
            )
        except ProviderUnreachableError:
            await self._record(withdrawal, lambda w: w.return_to_queue(self._clock.now()))
            raise
        except Exception:
            # The request may be at Daraja: only its Result, or reconciliation, may decide now.
            logger.exception("b2c_send_outcome_unknown", withdrawal_id=withdrawal.id, hash=withdrawal.subject)
            return await self._record(
                withdrawal,
                lambda w: w.mark_outcome_unknown(self._clock.now(), first_check_after=self._first_check_after),
            )
        return await self._record(
            withdrawal,
            lambda w: w.mark_submitted(accepted, self._clock.now(), first_check_after=self._first_check_after),
        )

    async def _warn_if_uncovered(self, withdrawal: Withdrawal) -> None:
        """Sent anyway (the balance may be stale, or topped up since), but logged and counted (docs/balances.md)."""
        if self._funds is None:
            return
        try:
            available = await self._funds.utility_available()
        except Exception:  # never let the balance, a hint, stop a payout
            logger.warning("b2c_balance_unknown", withdrawal_id=withdrawal.id, exc_info=True)
            return
        if available is None or Decimal(withdrawal.amount.shillings) <= available:
            return
        logger.warning(
            "b2c_balance_may_not_cover",
            withdrawal_id=withdrawal.id,
            hash=withdrawal.subject,
            amount=withdrawal.amount.shillings,
            utility_available=str(available),
        )
        if self._on_uncovered is not None:
            self._on_uncovered()

    async def _record(self, withdrawal: Withdrawal, change: Callable[[Withdrawal], None]) -> Withdrawal:
        """Apply Daraja's answer and store it; when a Result got there first, the stored, settled state wins."""
        for _ in range(_ATTEMPTS):
            try:
                change(withdrawal)
            except PaymentFinalError:
                return withdrawal
            try:
                await self._withdrawals.save(withdrawal)
            except ConcurrentUpdateError:
                withdrawal = await self._stored(withdrawal)
                continue
            await self._announce(withdrawal)
            return withdrawal
        raise ConcurrentUpdateError(f"withdrawal {withdrawal.id} kept changing while its submission was recorded")

    async def _announce(self, withdrawal: Withdrawal) -> None:
        if withdrawal.status is not WithdrawalStatus.QUEUED:  # back in the queue: nothing a client would see
            await self._announce_change(withdrawal)
        logger.info(
            "b2c_submission",
            withdrawal_id=withdrawal.id,
            hash=withdrawal.subject,
            phone=withdrawal.phone.masked,
            amount=withdrawal.amount.shillings,
            originator_conversation_id=withdrawal.originator_conversation_id,
            conversation_id=withdrawal.conversation_id,
            status=withdrawal.status.value,
            outcome_unknown=withdrawal.outcome_unknown,
            result_code=withdrawal.result_code,
        )

    async def _stored(self, withdrawal: Withdrawal) -> Withdrawal:
        stored = await self._withdrawals.by_id(withdrawal.subject, withdrawal.id)
        if stored is None:
            raise ConcurrentUpdateError(f"withdrawal {withdrawal.id} disappeared from the store")
        return stored
