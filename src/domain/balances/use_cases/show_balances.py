from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.balances.account_state import AccountState
from domain.balances.balance_check import BalanceCheck
from domain.balances.ports import AccountStates, BalanceChecks


@dataclass(frozen=True, slots=True)
class BalanceOverview:
    accounts: list[AccountState]
    last_check: BalanceCheck | None
    low_threshold: Decimal | None

    def view(self) -> dict[str, Any]:
        return {
            "accounts": [state.view() for state in sorted(self.accounts, key=lambda state: state.name)],
            "last_check": None if self.last_check is None else self.last_check.view(),
            "low_threshold": None if self.low_threshold is None else str(self.low_threshold),
        }


class ShowBalances:
    """The latest balance of every account reported so far, with the last check made."""

    def __init__(self, states: AccountStates, checks: BalanceChecks, low_threshold: Decimal | None) -> None:
        self._states, self._checks, self._threshold = states, checks, low_threshold

    async def __call__(self) -> BalanceOverview:
        return BalanceOverview(await self._states.all(), await self._checks.latest(), self._threshold)
