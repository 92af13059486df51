from decimal import Decimal
from enum import StrEnum

import structlog

from domain.balances.account_balance import AccountBalance
from domain.balances.account_state import AccountState
from domain.balances.balance_check import BalanceCheck, BalanceResult
from domain.balances.ports import AccountStates, BalanceChecks
from domain.shared.errors import ConcurrentUpdateError, PaymentFinalError, UnknownCallbackTokenError
from domain.shared.ports import Clock

logger = structlog.get_logger()

_ATTEMPTS = 5


class BalanceResultOutcome(StrEnum):
    STORED = "stored"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    DUPLICATE = "duplicate"


class HandleBalanceResult:
    """Apply Daraja's answer to the balance query whose secret token the URL carried: store each account's balance
    (an older answer never replaces a newer one) and note a crossing of the low-balance threshold, which becomes a
    `balance.low` (or `balance.recovered`) event through the outbox."""

    def __init__(
        self,
        checks: BalanceChecks,
        states: AccountStates,
        clock: Clock,
        low_threshold: Decimal | None,
    ) -> None:
        self._checks, self._states, self._clock = checks, states, clock
        self._threshold = low_threshold

    async def __call__(self, token: str, result: BalanceResult, *, queue_timeout: bool = False) -> BalanceResultOutcome:
        check = await self._checks.by_token(token)
        if check is None:
            raise UnknownCallbackTokenError("no balance check has this callback token")
        now = self._clock.now()
        try:
            if queue_timeout:
                check.time_out(result, now)
            else:
                check.answer(result, now)
        except PaymentFinalError:
            return BalanceResultOutcome.DUPLICATE
        # The accounts are stored before the check is marked answered, so a reader who sees "answered" sees every
        # account it reported, and a crash in between leaves the check open rather than answered with accounts lost.
        # Storing an account twice (a Result delivered twice at once) is harmless: the same reading, noted once.
        for balance in check.accounts:
            await self._store(check, balance, result.completed_at)
        try:
            await self._checks.save(check)
        except ConcurrentUpdateError:
            return BalanceResultOutcome.DUPLICATE  # the same Result, delivered twice at once: the other one applied it
        if queue_timeout:
            logger.warning("balance_check_timed_out", check_id=check.id, result_code=result.result_code)
            return BalanceResultOutcome.TIMED_OUT
        if not check.accounts:
            logger.warning("balance_check_failed", check_id=check.id, result_code=result.result_code)
            return BalanceResultOutcome.FAILED
        logger.info("balance_check_answered", check_id=check.id, accounts=len(check.accounts))
        return BalanceResultOutcome.STORED

    async def _store(self, check: BalanceCheck, balance: AccountBalance, completed_at: str | None) -> None:
        now = self._clock.now()
        for _ in range(_ATTEMPTS):
            state = await self._states.one(balance.name)
            try:
                if state is None:
                    fresh = AccountState.first(balance, check.requested_at, now, check.id, completed_at)
                    fresh.observe(balance, check.requested_at, now, check.id, completed_at, self._threshold)
                    await self._states.add(fresh)
                    state = fresh
                elif state.observe(balance, check.requested_at, now, check.id, completed_at, self._threshold):
                    await self._states.save(state)
                else:
                    return  # a newer check's answer is stored already
            except ConcurrentUpdateError:
                continue
            if state.low and state.history and state.history[-1].at == now:
                available, threshold = str(balance.available), str(self._threshold)
                logger.warning("balance_low", account=balance.name, available=available, threshold=threshold)
            return
        raise ConcurrentUpdateError(f"account {balance.name!r} kept changing while its balance was stored")
