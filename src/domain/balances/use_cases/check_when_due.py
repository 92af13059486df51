from datetime import timedelta

from domain.balances.balance_check import CheckTrigger
from domain.balances.ports import BalanceChecks
from domain.balances.use_cases.check_balance import CheckBalance
from domain.shared.ports import Clock, Leases

SCHEDULE_LEASE = "balance-schedule"


class CheckBalanceWhenDue:
    """The scheduled check: under a lease (one instance asks, however many run), ask for the balance when the last
    check, by anyone, is `interval` old. Answers how long until the next one is due."""

    def __init__(
        self,
        checks: BalanceChecks,
        check_balance: CheckBalance,
        leases: Leases,
        clock: Clock,
        owner: str,
        interval: timedelta,
    ) -> None:
        self._checks, self._check_balance, self._leases, self._clock = checks, check_balance, leases, clock
        self._owner, self._interval = owner, interval

    async def __call__(self) -> timedelta:
        now = self._clock.now()
        # Held for the whole interval: another instance takes over only once this one stopped renewing it.
        if not await self._leases.acquire(SCHEDULE_LEASE, self._owner, now, now + self._interval * 2):
            return self._interval
        latest = await self._checks.latest()
        if latest is not None:
            due = latest.requested_at + self._interval
            if due > now:
                return due - now
        await self._check_balance(CheckTrigger.SCHEDULE)
        return self._interval

    async def step_down(self) -> None:
        await self._leases.release(SCHEDULE_LEASE, self._owner)
