"""The simulated organisation's M-PESA accounts, in cents: what an Account Balance query reports.

Money moves with what the simulator settles: a successful STK payment credits the Working Account, a successful B2C
payout debits the Utility Account (and its fee the Charges Paid Account). Anything else that moves money (a
reversal, a test) calls `move(account, cents)`: positive credits, negative debits. One set of accounts serves
every shortcode, as one merchant's would.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

WORKING = "Working Account"
FLOAT = "Float Account"
UTILITY = "Utility Account"
CHARGES_PAID = "Charges Paid Account"
SETTLEMENT = "Organization Settlement Account"
ACCOUNTS = (WORKING, FLOAT, UTILITY, CHARGES_PAID, SETTLEMENT)

OPENING_CENTS: Mapping[str, int] = {
    WORKING: 1_199_371_00,
    FLOAT: 0,
    UTILITY: 10_000_000_00,
    CHARGES_PAID: -1_980_00,
    SETTLEMENT: 0,
}


@dataclass(slots=True)
class SimulatedBalances:
    opening: dict[str, int] = field(default_factory=lambda: dict(OPENING_CENTS))
    _cents: dict[str, int] = field(default_factory=dict)
    # Held back from "available" (current = available + reserved), as Daraja's own samples show.
    _reserved: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self._cents:
            self._cents = dict(self.opening)

    def move(self, account: str, cents: int) -> int:
        """Credit (positive) or debit (negative) `account`; its available balance after, in cents. An account not
        seen before is opened at zero."""
        self._cents[account] = self._cents.get(account, 0) + cents
        return self._cents[account]

    def set(self, account: str, cents: int) -> None:
        self._cents[account] = cents

    def available(self, account: str) -> int:
        return self._cents.get(account, 0)

    def shillings(self, account: str) -> float:
        return self.available(account) / 100

    def balance_string(self) -> str:
        """Daraja's AccountBalance value: `name|currency|current|available|reserved|uncleared`, joined by `&`."""
        return "&".join(
            f"{name}|KES|{_text(cents + self._reserved.get(name, 0))}|{_text(cents)}|"
            f"{_text(self._reserved.get(name, 0))}|0.00"
            for name, cents in self._cents.items()
        )

    def view(self) -> dict[str, str]:
        return {name: _text(cents) for name, cents in self._cents.items()}


def _text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"
