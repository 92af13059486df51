"""The worker's balance hint costs a store read at most once per max_age, and a failed read is not kept."""

from datetime import timedelta
from decimal import Decimal

import pytest

from adapters.recent_funds import RecentFunds
from tests.unit.fakes import FixedClock


class StoredFunds:
    def __init__(self, available: Decimal | None) -> None:
        self.available, self.reads, self.failing = available, 0, False

    async def utility_available(self) -> Decimal | None:
        self.reads += 1
        if self.failing:
            raise ConnectionError("store down")
        return self.available


async def test_the_balance_is_read_once_per_max_age_and_then_read_again() -> None:
    clock, stored = FixedClock(), StoredFunds(Decimal("500.00"))
    funds = RecentFunds(stored, clock, timedelta(seconds=30))

    answers = [await funds.utility_available() for _ in range(5)]
    stored.available = Decimal("20.00")
    clock.advance(seconds=29)
    still_cached = await funds.utility_available()
    clock.advance(seconds=1)
    refreshed = await funds.utility_available()

    assert answers == [Decimal("500.00")] * 5 and still_cached == Decimal("500.00")
    assert refreshed == Decimal("20.00")
    assert stored.reads == 2


async def test_a_failed_read_is_not_kept() -> None:
    clock, stored = FixedClock(), StoredFunds(Decimal("500.00"))
    funds = RecentFunds(stored, clock, timedelta(seconds=30))
    stored.failing = True
    with pytest.raises(ConnectionError):
        await funds.utility_available()
    stored.failing = False

    assert await funds.utility_available() == Decimal("500.00")
    assert stored.reads == 2
