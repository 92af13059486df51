from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.balances.account_state import AccountState
from domain.balances.balance_check import BalanceCheck
from domain.balances.ports import AccountStates, BalanceChecks
from domain.shared.ports import Clock


@dataclass(frozen=True, slots=True)
class BalanceOverview:
    accounts: list[AccountState]
    last_check: BalanceCheck | None
    low_threshold: Decimal | None
    as_of: datetime

    def view(self) -> dict[str, Any]:
        return {
            "accounts": [state.view() for state in sorted(self.accounts, key=lambda state: state.name)],
            "last_check": None if self.last_check is None else self.last_check.view_as_of(self.as_of),
            "low_threshold": None if self.low_threshold is None else str(self.low_threshold),
        }


class ShowBalances:
    """The latest balance of every account reported so far, with the last check made."""

    def __init__(
        self, states: AccountStates, checks: BalanceChecks, low_threshold: Decimal | None, clock: Clock
    ) -> None:
        self._states, self._checks, self._threshold, self._clock = states, checks, low_threshold, clock

    async def __call__(self) -> BalanceOverview:
        states, latest = await self._states.all(), await self._checks.latest()
        return BalanceOverview(states, latest, self._threshold, self._clock.now())
