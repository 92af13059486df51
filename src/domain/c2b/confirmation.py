"""One C2B payment as Daraja reports it (validation or confirmation body), and how it was matched when stored."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypedDict

from domain.c2b.account_reference import AccountReference
from domain.c2b.payer import Payer, PayerForm
from domain.shared.client_view import Described, Shillings, ZonedMoment
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


class C2bPaymentView(TypedDict):
    """A confirmed C2B payment naming an account reference a request of the hash held (counted on it, or kept
    unmatched because the request had closed)."""

    kind: Literal["c2b_payment"]
    trans_id: Annotated[str, Described("The M-PESA receipt (Daraja's TransID).")]
    amount: Shillings
    shortcode: Annotated[str, Described("The Paybill or Till paid (BusinessShortCode).")]
    account_reference: Annotated[str, Described("The account number as the customer typed it (BillRefNumber).")]
    payer: Annotated[str, Described("The payer's number exactly as Daraja sent it: plain, masked or a SHA-256 hex.")]
    payer_form: Annotated[str, Described("Which form `payer` has.", choices=PayerForm)]
    first_name: Annotated[str, Described("The payer's first name as Daraja sent it; may be empty.")]
    trans_time: Annotated[str, Described("Daraja's TransTime (YYYYMMDDHHmmss, Kenyan time).")]
    received_at: ZonedMoment
    match: Annotated[
        str,
        Described("applied (counted on the request) or request_closed (kept unmatched).", choices=PaymentMatch),
    ]
    request_id: Annotated[str | None, Described("The payment request it named.")]
    source: Annotated[str, Described("How the gateway learnt of it: confirmation (Daraja's ConfirmationURL call).")]
    reversal_id: Annotated[
        str | None,
        Described("The reversal that refunded this payment (docs/reversals.md); null unless M-PESA reversed it."),
    ]
    reversed_at: Annotated[ZonedMoment | None, Described("When the reversal was recorded; null unless reversed.")]


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
        as_received = dict(self.view()) | {"reversal_id": None, "reversed_at": None}
        changes = [StatusChange(self.received_at, RECEIVED, cause, self.match.value, as_received)]
        if self.reversed_at is not None:
            detail = f"reversal {self.reversal_id}"
            changes.append(StatusChange(self.reversed_at, REVERSED, ChangeCause.CALLBACK, detail, dict(self.view())))
        return changes

    def view(self) -> C2bPaymentView:
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
