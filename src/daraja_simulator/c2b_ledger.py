"""What the simulator remembers of C2B: the URLs registered per shortcode, Pull registrations, and every C2B payment
that completed (what Pull Transactions answers from, whether or not its confirmation was delivered)."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class C2bScenario(StrEnum):
    """What happens to one simulated customer payment (docs/simulator.md, "C2B")."""

    NORMAL = "normal"
    # The validation URL is called but its answer is taken as not arrived: the registered ResponseType decides.
    VALIDATION_TIMEOUT = "validation_timeout"
    DUPLICATE_CONFIRMATION = "duplicate_confirmation"
    # The money moves and Pull Transactions lists it, but no confirmation is ever posted.
    CONFIRMATION_LOST = "confirmation_lost"
    # The customer mistypes the account number: a 9 is added at its end.
    WRONG_ACCOUNT = "wrong_account"


@dataclass(frozen=True, slots=True)
class UrlSet:
    shortcode: str
    version: str
    response_type: str
    confirmation_url: str
    validation_url: str


@dataclass(slots=True)
class C2bPaymentRecord:
    trans_id: str
    shortcode: str
    command_id: str
    amount: int
    bill_reference: str
    msisdn: str
    msisdn_shown: str
    first_name: str
    moment: datetime
    scenario: C2bScenario
    outcome: str = "pending"  # completed, rejected, cancelled
    validation: str = "not_called"  # not_called, accepted, rejected:<code>, timed_out, unreachable
    confirmations_sent: int = 0
    reversed: bool = False

    def view(self) -> dict[str, object]:
        return {
            "trans_id": self.trans_id,
            "shortcode": self.shortcode,
            "command_id": self.command_id,
            "amount": self.amount,
            "bill_reference": self.bill_reference,
            "msisdn": self.msisdn_shown,
            "scenario": self.scenario.value,
            "outcome": self.outcome,
            "validation": self.validation,
            "confirmations_sent": self.confirmations_sent,
            "reversed": self.reversed,
            "at": self.moment.isoformat(),
        }


@dataclass(slots=True)
class C2bLedger:
    urls: dict[str, UrlSet] = field(default_factory=dict)
    pull_registered: set[str] = field(default_factory=set)
    payments: list[C2bPaymentRecord] = field(default_factory=list)
    # Utility account per shortcode, in cents, so OrgAccountBalance grows as payments land.
    balances_cents: dict[str, int] = field(default_factory=dict)
    register_calls: int = 0
    simulate_calls: int = 0
    pull_queries: int = 0

    def credit(self, shortcode: str, amount: int) -> int:
        self.balances_cents[shortcode] = self.balances_cents.get(shortcode, 0) + amount * 100
        return self.balances_cents[shortcode]

    def paid(self, trans_id: str) -> C2bPaymentRecord | None:
        """The completed payment with this TransID, if the simulator made one."""
        return next((p for p in self.payments if p.trans_id == trans_id and p.outcome == "completed"), None)

    def reverse(self, trans_id: str, amount: int) -> str | None:
        """Reverse the completed payment with this TransID, taking its amount back out of the shortcode's account it
        went to: the result code as the STK ledger's (`0`, R000001 reversed already, `1` the account cannot cover
        it), or None when no completed payment of this amount has the TransID (the caller answers R000002)."""
        record = self.paid(trans_id)
        if record is None or record.amount != amount:
            return None
        if record.reversed:
            return "R000001"
        if self.balances_cents.get(record.shortcode, 0) < amount * 100:
            return "1"
        record.reversed = True
        self.balances_cents[record.shortcode] -= amount * 100
        return "0"

    def completed(self, shortcode: str, start: datetime, end: datetime) -> list[C2bPaymentRecord]:
        return [
            p
            for p in self.payments
            if p.shortcode == shortcode and p.outcome == "completed" and start <= p.moment <= end
        ]

    def reset(self) -> None:
        self.urls.clear()
        self.pull_registered.clear()
        self.payments.clear()
        self.balances_cents.clear()
        self.register_calls = self.simulate_calls = self.pull_queries = 0

    def stats(self) -> dict[str, object]:
        return {
            "register_calls": self.register_calls,
            "simulate_calls": self.simulate_calls,
            "pull_queries": self.pull_queries,
            "payments": len(self.payments),
            "registered_shortcodes": sorted(self.urls),
        }


def shown_msisdn(msisdn: str, form: str) -> str:
    """The MSISDN as a confirmation carries it: plain, masked like `2547 ***** 126`, or the hex SHA-256 of it."""
    if form == "plain":
        return msisdn
    if form == "sha256":
        return hashlib.sha256(msisdn.encode("ascii")).hexdigest()
    return f"{msisdn[:4]} ***** {msisdn[-3:]}"
