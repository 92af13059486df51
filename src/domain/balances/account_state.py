"""The latest known balance of one account, and whether it stands below the low-balance threshold.

Only crossings become history (and so events): `low` when the watched account's available balance falls below
the threshold, `recovered` when it is back at or above it. A check that finds it still low adds nothing, so
`balance.low` fires once per crossing, however often the balance is checked.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.balances.account_balance import UTILITY_ACCOUNT, AccountBalance
from domain.shared.status_change import ChangeCause, StatusChange

LOW = "low"
RECOVERED = "recovered"
BALANCE_STATUSES = (LOW, RECOVERED)


@dataclass(slots=True)
class AccountState:
    balance: AccountBalance
    as_of: datetime  # when the check that reported it was requested: an older answer never replaces a newer one
    checked_at: datetime  # when its answer arrived
    check_id: str
    completed_at: str | None = None  # Daraja's BOCompletedTime, as written
    low: bool = False
    history: list[StatusChange] = field(default_factory=list)
    version: int = 0

    @property
    def name(self) -> str:
        return self.balance.name

    @classmethod
    def first(
        cls, balance: AccountBalance, as_of: datetime, now: datetime, check_id: str, completed_at: str | None
    ) -> "AccountState":
        return cls(balance, as_of, now, check_id, completed_at)

    def observe(
        self,
        balance: AccountBalance,
        as_of: datetime,
        now: datetime,
        check_id: str,
        completed_at: str | None,
        threshold: Decimal | None,
    ) -> bool:
        """Take a newer reading (False, and nothing changes, for one older than what is known) and note a crossing
        of `threshold` (None: not watched)."""
        if as_of < self.as_of:
            return False
        self.balance, self.as_of, self.checked_at, self.check_id = balance, as_of, now, check_id
        self.completed_at = completed_at
        if threshold is None or balance.name != UTILITY_ACCOUNT:
            return True
        below = balance.available < threshold
        if below != self.low:
            self.low = below
            detail = f"available {balance.available} {balance.currency}, threshold {threshold}"
            self.history.append(
                StatusChange(now, LOW if below else RECOVERED, ChangeCause.CALLBACK, detail, self.view(threshold))
            )
        return True

    def view(self, threshold: Decimal | None = None) -> dict[str, Any]:
        shown: dict[str, Any] = {
            **self.balance.view(),
            "checked_at": self.checked_at.isoformat(),
            "completed_at": self.completed_at,
            "check_id": self.check_id,
            "low": self.low,
        }
        if threshold is not None:
            shown["threshold"] = str(threshold)
        return shown
