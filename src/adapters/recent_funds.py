"""The last known balance, read from the store at most once per `max_age`.

The withdrawal worker asks for the utility account's balance before every payout, only to log and count one the
balance may not cover (it is sent anyway: the balance is a hint, checked on a schedule and possibly stale). That
hint does not earn a store read per withdrawal: the answer is kept for `max_age`, so a balance reported to another
instance, or a fresh check, is seen that much later at most.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from domain.balances.ports import KnownFunds
from domain.shared.ports import Clock


class RecentFunds(KnownFunds):
    def __init__(self, store: KnownFunds, clock: Clock, max_age: timedelta) -> None:
        self._store, self._clock, self._max_age = store, clock, max_age
        self._read_at: datetime | None = None
        self._available: Decimal | None = None

    async def utility_available(self) -> Decimal | None:
        now = self._clock.now()
        if self._read_at is None or now - self._read_at >= self._max_age:
            self._available = await self._store.utility_available()  # a failure is not kept: asked again next time
            self._read_at = now
        return self._available
