"""A payment the merchant expects (an invoice): open until it is paid, overpaid, underpaid at expiry, or expired.

Confirmations are summed per TransID (a receipt counts once, however often Daraja repeats it). How the sum settles
the request depends on its amount rule: EXACT wants the amount (less is partial, more is overpaid), MINIMUM wants at
least the amount, OPEN takes any payment. A final request takes no more money; a payment that reaches it later is kept
unmatched (PaymentMatch.REQUEST_CLOSED) so no shilling disappears. The one thing that moves a final request is a
reversal of one of its payments: the payment stays listed, marked reversed, and the request is settled again from the
payments left by the same rules (docs/c2b.md#reversed-payments).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, TypedDict

from domain.c2b.account_reference import AccountReference
from domain.c2b.confirmation import C2bTransaction
from domain.shared.client_view import Described, MerchantMetadata, Shillings, ZonedMoment
from domain.shared.errors import DomainError, ValidationError
from domain.shared.merchant_data import Metadata
from domain.shared.status_change import ChangeCause, StatusChange

# Daraja's validation call comes before its confirmation: a payment validated just before expiry still counts when
# its confirmation lands this long after.
CONFIRMATION_GRACE = timedelta(minutes=2)
LONGEST_EXPIRY = timedelta(days=90)


class AmountRule(StrEnum):
    EXACT = "exact"
    MINIMUM = "minimum"
    OPEN = "open"


class RequestStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    OVERPAID = "overpaid"
    UNDERPAID = "underpaid"
    EXPIRED = "expired"

    @property
    def final(self) -> bool:
        return self is not RequestStatus.OPEN


class RequestFinalError(DomainError):
    """A final payment request was asked to take money or expire again."""


@dataclass(frozen=True, slots=True)
class AppliedConfirmation:
    trans_id: str
    amount: int
    at: datetime
    # Kept, not removed, once reversed: its TransID must stay known so a repeated confirmation never counts it again.
    reversed_at: datetime | None = None

    @property
    def counts(self) -> bool:
        return self.reversed_at is None


class C2bConfirmationView(TypedDict):
    trans_id: Annotated[str, Described("The M-PESA receipt (Daraja's TransID); counted once however often it comes.")]
    amount: Shillings
    at: ZonedMoment
    reversed_at: Annotated[
        ZonedMoment | None,
        Described("When a reversal gave this payment back (it no longer counts in `received`); null otherwise."),
    ]


class C2bRequestView(TypedDict):
    """A C2B payment request (what the merchant expects to be paid to the Paybill): open until paid, overpaid,
    underpaid at expiry, or expired (docs/c2b.md)."""

    id: Annotated[str, Described("The gateway's payment request id.")]
    kind: Literal["c2b_request"]
    account_reference: Annotated[str, Described("What the customer types as the account number, normalised.")]
    amount_rule: Annotated[str, Described("exact, minimum or open (any amount).", choices=AmountRule)]
    amount: Annotated[int | None, Described("The amount asked for; null for open.")]
    received: Annotated[
        int, Described("Whole shillings counted so far, once per receipt; reversed payments not.", minimum=0)
    ]
    outstanding: Annotated[int, Described("What is still owed (0 for open, or once reached).", minimum=0)]
    status: Annotated[
        str,
        Described(
            "open until the amount rule is met or the request expires; then final, unless a reversal of one of its "
            "payments settles it again from the payments left (docs/c2b.md).",
            choices=RequestStatus,
        ),
    ]
    expires_at: ZonedMoment
    created_at: ZonedMoment
    updated_at: ZonedMoment
    metadata: Annotated[
        MerchantMetadata, Described("The merchant's metadata from the request ({} when none was given).")
    ]
    confirmations: Annotated[list[C2bConfirmationView], Described("The payments counted on it, oldest first.")]
    version: Annotated[
        int,
        Described(
            "Counts the request's stored changes: of two states the higher version is the newer. Updates never "
            "go back to a lower one.",
            minimum=0,
        ),
    ]


@dataclass(slots=True)
class PaymentRequest:
    id: str
    subject: str
    reference: AccountReference
    rule: AmountRule
    amount: int | None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    metadata: Metadata = field(default_factory=lambda: Metadata(()))
    status: RequestStatus = RequestStatus.OPEN
    confirmations: dict[str, AppliedConfirmation] = field(default_factory=dict)
    version: int = 0
    # Its final state, once reached: the one entry that becomes an event (c2b.request.<status>).
    history: list[StatusChange] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        request_id: str,
        subject: str,
        reference: AccountReference,
        rule: AmountRule,
        amount: int | None,
        expires_at: datetime,
        now: datetime,
        metadata: Metadata | None = None,
    ) -> "PaymentRequest":
        if (rule is AmountRule.OPEN) != (amount is None):
            raise ValidationError("amount", "is required for an exact or minimum amount and must be left out for open")
        if not now < expires_at <= now + LONGEST_EXPIRY:
            raise ValidationError("expires_at", f"must be in the future, at most {LONGEST_EXPIRY.days} days ahead")
        return cls(request_id, subject, reference, rule, amount, expires_at, now, now, metadata or Metadata(()))

    @property
    def received(self) -> int:
        return sum(c.amount for c in self.confirmations.values() if c.counts)

    @property
    def outstanding(self) -> int:
        """What is still owed (0 for an open amount, or once the amount is reached)."""
        return max((self.amount or 0) - self.received, 0)

    def accepts_at(self, now: datetime) -> bool:
        return self.status is RequestStatus.OPEN and now < self.expires_at + CONFIRMATION_GRACE

    def amount_fits(self, amount: int) -> bool:
        """Whether a payment of `amount` is what the request asks for next (validation's exact-amount rule)."""
        if self.rule is AmountRule.EXACT:
            return amount == self.outstanding
        if self.rule is AmountRule.MINIMUM:
            return amount >= self.outstanding
        return amount > 0

    def apply(self, transaction: C2bTransaction, now: datetime) -> bool:
        """Count a confirmed payment once; False when this TransID was counted already."""
        if transaction.trans_id in self.confirmations:
            return False
        if not self.accepts_at(now):
            raise RequestFinalError(f"payment request {self.id} is {self.status.value}")
        self.confirmations[transaction.trans_id] = AppliedConfirmation(transaction.trans_id, transaction.amount, now)
        self.status = self._settled_status()
        self.updated_at = now
        if self.status.final:
            self._record(now, ChangeCause.CALLBACK, f"receipt {transaction.trans_id}")
        return True

    def expire(self, now: datetime) -> None:
        if self.status.final:
            raise RequestFinalError(f"payment request {self.id} is {self.status.value}")
        self.status = RequestStatus.UNDERPAID if self.received > 0 else RequestStatus.EXPIRED
        self.updated_at = now
        self._record(now, ChangeCause.WORKER, f"expired at {self.expires_at.isoformat()}")

    def reverse(
        self,
        trans_id: str,
        amount: int,
        now: datetime,
        *,
        may_reopen: bool = True,
        cause: ChangeCause = ChangeCause.CALLBACK,
    ) -> bool:
        """A reversal gave back the payment `trans_id`: stop counting it and settle the request again from the rest.

        Settled as when payments arrive: paid or overpaid if what is left still meets the amount rule; otherwise open
        again while the deadline (and its grace) has not passed, so the customer can pay again, and underpaid (some
        money left) or expired (none) after it. `may_reopen` is False when another open request has taken the account
        reference since this one closed: then it closes as after its deadline. False (nothing changed) when this
        payment was reversed on it already.
        """
        applied = self.confirmations.get(trans_id)
        if applied is not None and not applied.counts:
            return False
        # A payment matched here whose counting never happened still becomes known, reversed, so it never counts.
        base = applied or AppliedConfirmation(trans_id, amount, now)
        self.confirmations[trans_id] = AppliedConfirmation(base.trans_id, base.amount, base.at, reversed_at=now)
        before = self.status
        settled = self._settled_status()
        if settled is RequestStatus.OPEN and (not may_reopen or not now < self.expires_at + CONFIRMATION_GRACE):
            settled = RequestStatus.UNDERPAID if self.received > 0 else RequestStatus.EXPIRED
        self.status, self.updated_at = settled, now
        if settled is not before and settled.final:
            self._record(now, cause, f"receipt {trans_id} reversed")
        return True

    def _record(self, now: datetime, cause: ChangeCause, detail: str) -> None:
        # Not its `version`: only the save gives it.
        snapshot = {key: value for key, value in self.view().items() if key != "version"}
        self.history.append(StatusChange(now, self.status.value, cause, detail, snapshot))

    def _settled_status(self) -> RequestStatus:
        received = self.received
        if self.rule is AmountRule.OPEN:
            # Any payment covers an open amount; none left (all reversed) covers nothing.
            return RequestStatus.PAID if received > 0 else RequestStatus.OPEN
        assert self.amount is not None  # EXACT and MINIMUM carry an amount
        if received < self.amount:
            return RequestStatus.OPEN
        if received > self.amount and self.rule is AmountRule.EXACT:
            return RequestStatus.OVERPAID
        return RequestStatus.PAID

    def view(self) -> C2bRequestView:
        return {
            "id": self.id,
            "kind": "c2b_request",
            "account_reference": self.reference.text,
            "amount_rule": self.rule.value,
            "amount": self.amount,
            "received": self.received,
            "outstanding": self.outstanding,
            "status": self.status.value,
            "expires_at": self.expires_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "metadata": self.metadata.as_dict(),
            "confirmations": [
                {
                    "trans_id": c.trans_id,
                    "amount": c.amount,
                    "at": c.at.isoformat(),
                    "reversed_at": None if c.reversed_at is None else c.reversed_at.isoformat(),
                }
                for c in sorted(self.confirmations.values(), key=lambda c: (c.at, c.trans_id))
            ],
            "version": self.version,
        }
