"""One C2B payment as Daraja reports it (validation or confirmation body), and how it was matched when stored."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.c2b.account_reference import AccountReference
from domain.c2b.payer import Payer
from domain.shared.status_change import ChangeCause, StatusChange

RECEIVED = "received"
REVERSED = "reversed"


@dataclass(frozen=True, slots=True)
class C2bTransaction:
    """The fields of Daraja's validation and confirmation bodies the gateway relies on, in domain words.

    `trans_id` is the M-PESA receipt (TransID), the key a payment is stored once by; it is empty on a validation
    request, where the money has not moved yet. `bill_reference` is the account number as the customer typed it.
    """

    trans_id: str
    amount: int
    shortcode: str
    bill_reference: str
    payer: Payer
    trans_time: str = ""
    transaction_type: str = ""
    first_name: str = ""
    org_account_balance: str = ""
    third_party_trans_id: str = ""

    @property
    def reference(self) -> str:
        return AccountReference.normalised(self.bill_reference)


class PaymentMatch(StrEnum):
    """How a confirmation met the payment requests: applied to one, or kept unmatched with the reason."""

    APPLIED = "applied"
    UNKNOWN_REFERENCE = "unknown_reference"
    REQUEST_CLOSED = "request_closed"

    @property
    def matched(self) -> bool:
        return self is PaymentMatch.APPLIED


@dataclass(slots=True)
class C2bPayment:
    """A confirmed payment, stored once per TransID whether or not a request expected it; never dropped.

    It changes once at most: when a reversal gave its money back, it links that reversal (docs/reversals.md).
    """

    transaction: C2bTransaction
    received_at: datetime
    match: PaymentMatch
    request_id: str | None = None
    subject: str | None = None
    source: str = "confirmation"
    extra: dict[str, Any] = field(default_factory=dict)
    reversal_id: str | None = None
    reversed_at: datetime | None = None
    version: int = field(default=0, compare=False)

    @property
    def trans_id(self) -> str:
        return self.transaction.trans_id

    def mark_reversed(self, reversal_id: str, now: datetime) -> bool:
        """Link the reversal that refunded this payment; False (nothing changed) when it is linked already."""
        if self.reversal_id is not None:
            return False
        self.reversal_id, self.reversed_at = reversal_id, now
        return True

    @property
    def history(self) -> list[StatusChange]:
        """Its arrival (the c2b.payment.received event) and, once reversed, the reversal (c2b.payment.reversed).

        Each entry carries the payment as it stood then, so a received event relayed late never shows the reversal.
        """
        cause = ChangeCause.CALLBACK if self.source == "confirmation" else ChangeCause.QUERY
        as_received = self.view() | {"reversal_id": None, "reversed_at": None}
        changes = [StatusChange(self.received_at, RECEIVED, cause, self.match.value, as_received)]
        if self.reversed_at is not None:
            detail = f"reversal {self.reversal_id}"
            changes.append(StatusChange(self.reversed_at, REVERSED, ChangeCause.CALLBACK, detail, self.view()))
        return changes

    def view(self) -> dict[str, Any]:
        t = self.transaction
        return {
            "kind": "c2b_payment",
            "trans_id": t.trans_id,
            "amount": t.amount,
            "shortcode": t.shortcode,
            "account_reference": t.bill_reference,
            "payer": t.payer.msisdn,
            "payer_form": t.payer.form.value,
            "first_name": t.first_name,
            "trans_time": t.trans_time,
            "received_at": self.received_at.isoformat(),
            "match": self.match.value,
            "request_id": self.request_id,
            "source": self.source,
            "reversal_id": self.reversal_id,
            "reversed_at": None if self.reversed_at is None else self.reversed_at.isoformat(),
        }
