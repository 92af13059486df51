"""A reversal of a completed payment and its state machine (docs/reversals.md).

requested → unknown (the worker is sending it) → sent (Daraja accepted it) → reversed | failed. A request Daraja
refuses outright is failed; one that surely never reached Daraja goes back to requested for a later send. Once the
worker has begun sending, nothing returns to requested: a lost answer or a queue time-out leaves it `unknown`, which
only Daraja's Result or a Transaction Status answer settles. reversed and failed are final. Every reversal but a
failed one holds its receipt: while it does, no other reversal of that receipt can be stored.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.reversals.result_codes import REVERSED_CODE, reversal_result_message
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import CallbackRejectedError, PaymentFinalError
from domain.shared.status_change import ChangeCause, StatusChange
from domain.shared.status_query import OpenStatusQuery, StatusQueryRequest, status_token_digest
from domain.shared.transaction_status import TransactionStatusResult, status_means_not_completed

# How long after sending the reconciler first asks Daraja about a reversal whose outcome it has not heard.
FIRST_CHECK_AFTER = timedelta(minutes=2)


class ReversalStatus(StrEnum):
    REQUESTED = "requested"
    UNKNOWN = "unknown"
    SENT = "sent"
    REVERSED = "reversed"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (ReversalStatus.REVERSED, ReversalStatus.FAILED)


class PaymentKind(StrEnum):
    """Which of the gateway's records the reversed payment is: an STK payment (by its receipt) or a C2B payment (by
    its TransID). M-PESA reverses both alike; what the gateway marks afterwards differs."""

    STK = "stk"
    C2B = "c2b"


class ReversalStepError(PaymentFinalError):
    """The reversal is past the step asked for (it may be at Daraja already): the stored state stands."""


@dataclass(frozen=True, slots=True)
class ReversalRequest:
    """What Daraja needs to reverse a payment; `callback_token` names the reversal in ResultURL and QueueTimeOutURL."""

    receipt: str
    amount: Amount
    remarks: Description
    callback_token: str
    # The shortcode the payment was made to, when it is not the one the gateway reverses for by default (a C2B
    # payment's own BusinessShortCode); None: the configured one.
    receiver_party: str | None = None


@dataclass(frozen=True, slots=True)
class ReversalAccepted:
    conversation_id: str
    originator_conversation_id: str


@dataclass(frozen=True, slots=True)
class ReversalResult:
    """Daraja's Result for one reversal (ResultURL), or its queue time-out notice (QueueTimeOutURL)."""

    result_code: str
    result_desc: str
    conversation_id: str | None = None
    originator_conversation_id: str | None = None
    # The reversal's own receipt; on a failure Daraja sends a dummy one, which is never kept.
    transaction_id: str | None = None
    original_transaction_id: str | None = None
    amount: int | None = None
    completed_at: str | None = None


@dataclass(slots=True)
class Reversal:
    """The gateway's record of one reversal; the worker holds `lease_owner` from its claim until its one send is
    recorded."""

    id: str
    receipt: str
    amount: Amount
    reason: Description
    subject: str
    payment_id: str
    callback_token: str
    created_at: datetime
    updated_at: datetime
    idempotency_key: str | None = None
    payment_kind: PaymentKind = PaymentKind.STK
    receiver_party: str | None = None
    status: ReversalStatus = ReversalStatus.REQUESTED
    conversation_id: str | None = None
    originator_conversation_id: str | None = None
    result_code: str | None = None
    result_desc: str | None = None
    reversal_receipt: str | None = None
    completed_at: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    next_check_at: datetime | None = None
    check_attempts: int = 0
    # The Transaction Status query asked and not yet answered, if any; a newer one replaces it.
    status_query: OpenStatusQuery | None = None
    history: list[StatusChange] = field(default_factory=list)
    version: int = field(default=0, compare=False)

    @classmethod
    def start(
        cls,
        *,
        reversal_id: str,
        receipt: str,
        amount: Amount,
        reason: Description,
        subject: str,
        payment_id: str,
        callback_token: str,
        now: datetime,
        idempotency_key: str | None = None,
        payment_kind: PaymentKind = PaymentKind.STK,
        receiver_party: str | None = None,
    ) -> "Reversal":
        reversal = cls(reversal_id, receipt, amount, reason, subject, payment_id, callback_token, now, now)
        reversal.idempotency_key, reversal.payment_kind = idempotency_key, payment_kind
        reversal.receiver_party = receiver_party
        reversal._record(now, ChangeCause.REQUEST)
        return reversal

    @property
    def holds_receipt(self) -> bool:
        """True unless failed: a reversal in progress or done keeps any other reversal of its receipt out."""
        return self.status is not ReversalStatus.FAILED

    def reversal_request(self) -> ReversalRequest:
        return ReversalRequest(self.receipt, self.amount, self.reason, self.callback_token, self.receiver_party)

    def begin_sending(self, now: datetime) -> None:
        """The claiming worker is about to call Daraja: from here on the reversal is never sent again, and should the
        worker die before Daraja's answer is recorded, the outcome is unknown until Daraja says."""
        self._ensure_not_final()
        if self.status is not ReversalStatus.REQUESTED or self.lease_owner is None:
            raise ReversalStepError(f"reversal {self.id} is {self.status.value} and not claimed for sending")
        self.status, self.updated_at = ReversalStatus.UNKNOWN, now
        self._record(now, ChangeCause.WORKER, "sending to Daraja")

    def mark_sent(
        self, accepted: ReversalAccepted, now: datetime, first_check_after: timedelta = FIRST_CHECK_AFTER
    ) -> None:
        """Daraja accepted the request: its Result decides from here, or Transaction Status from `first_check_after`
        on should the Result not come."""
        self._ensure_awaiting_answer()
        self.conversation_id = accepted.conversation_id
        self.originator_conversation_id = accepted.originator_conversation_id
        self._enter(ReversalStatus.SENT, now)
        self.next_check_at = now + first_check_after if accepted.originator_conversation_id else None
        self._record(now, ChangeCause.DARAJA_ANSWER, f"accepted: ConversationID {accepted.conversation_id}")

    def mark_outcome_unknown(self, now: datetime) -> None:
        """Daraja's answer was lost: the request may have arrived, so only Daraja may decide."""
        self._ensure_awaiting_answer()
        self._enter(ReversalStatus.UNKNOWN, now)
        self.next_check_at = None  # nothing names it at Daraja: only its Result, or an operator, can settle it
        self._record(now, ChangeCause.DARAJA_ANSWER, "Daraja's answer to the request was lost; outcome unknown")

    def refuse(self, code: str, description: str, now: datetime) -> None:
        """Daraja refused the request itself: nothing was reversed."""
        self._ensure_awaiting_answer()
        self.result_code, self.result_desc = code, description
        self._enter(ReversalStatus.FAILED, now)
        self._record(now, ChangeCause.DARAJA_ANSWER, f"refused {code}: {description}")

    def return_to_queue(self, now: datetime) -> None:
        """The request surely never reached Daraja: queue it again for a later claim."""
        self._ensure_awaiting_answer()
        self._enter(ReversalStatus.REQUESTED, now)
        self.next_check_at = None
        self._record(now, ChangeCause.WORKER, "Daraja could not be reached; queued again")

    def settle(self, result: ReversalResult, now: datetime, *, cause: ChangeCause = ChangeCause.CALLBACK) -> None:
        """Apply Daraja's Result: code 0 is reversed, any other code failed.

        Raises PaymentFinalError once final (a repeated Result), ReversalStepError before it was sent, and
        CallbackRejectedError when the Result names another request or reverses something else.
        """
        self._ensure_at_daraja()
        self._ensure_describes_me(result)
        self._learn_ids(result)
        self.result_code, self.result_desc = result.result_code, result.result_desc
        if result.result_code == REVERSED_CODE:
            self._ensure_reverses_me(result)
            self.reversal_receipt, self.completed_at = result.transaction_id, result.completed_at
            self._enter(ReversalStatus.REVERSED, now)
        else:
            self._enter(ReversalStatus.FAILED, now)
        self._record(now, cause, f"{result.result_code}: {result.result_desc}")

    def time_out(self, result: ReversalResult, now: datetime) -> None:
        """Daraja's QueueTimeOutURL notice: the outcome is unknown until Daraja says; never sent again."""
        self._ensure_at_daraja()
        if self.status is ReversalStatus.UNKNOWN and self.lease_owner is None:
            raise ReversalStepError(f"reversal {self.id}'s outcome is already unknown")
        self._ensure_describes_me(result)
        self._learn_ids(result)
        self._enter(ReversalStatus.UNKNOWN, now)
        # Transaction Status is asked at once, if Daraja named the request (docs/reversals.md).
        self.next_check_at = now if self.originator_conversation_id else None
        self._record(now, ChangeCause.CALLBACK, f"queue time-out {result.result_code}: {result.result_desc}")

    @property
    def queryable(self) -> bool:
        """Sent or unknown, not being sent, and named by Daraja's OriginatorConversationID: Transaction Status can
        be asked about it. Without that id (Daraja's answer to the request was lost) only its Result can tell."""
        at_daraja = self.status in (ReversalStatus.SENT, ReversalStatus.UNKNOWN) and self.lease_owner is None
        return at_daraja and bool(self.originator_conversation_id)

    def open_status_query(self, token: str, now: datetime, next_check_at: datetime) -> StatusQueryRequest:
        """A Transaction Status query is about to be asked with the new secret `token` (stored before it is asked);
        from here on only its answer counts. The reconciler looks again from `next_check_at`."""
        if not self.queryable or self.originator_conversation_id is None:
            raise ReversalStepError(f"reversal {self.id} is {self.status.value}; Transaction Status cannot settle it")
        self.next_check_at, self.check_attempts = next_check_at, self.check_attempts + 1
        self.status_query = OpenStatusQuery(status_token_digest(token), now)
        return StatusQueryRequest(self.originator_conversation_id, token, self.reversal_receipt, self.receiver_party)

    def settle_from_status(self, token: str, result: TransactionStatusResult, now: datetime) -> None:
        """Apply the answer to the open query whose secret is `token`: Completed is reversed, Failed or Expired
        failed; "Pending", another word or a query that found nothing change nothing but close the query.

        Raises CallbackRejectedError, changing nothing, when no open query has this secret or the answer names
        another request or amount, and PaymentFinalError once final.
        """
        if self.status_query is None or not self.status_query.is_named_by(token):
            raise CallbackRejectedError("no open Transaction Status query has this status URL")
        if result.answered and result.originator_conversation_id != self.originator_conversation_id:
            raise CallbackRejectedError("the status answer names another OriginatorConversationID")
        if result.completed and result.amount is not None and result.amount != self.amount.shillings:
            raise CallbackRejectedError("the status answer's amount differs from the reversal's")
        self._ensure_at_daraja()
        self.status_query = None
        if result.completed:
            self.reversal_receipt = self.reversal_receipt or result.receipt
            self.result_code, self.result_desc = REVERSED_CODE, f"Transaction Status: {result.status}"
            self._enter(ReversalStatus.REVERSED, now)
            self._record(now, ChangeCause.RECONCILER, f"Transaction Status {result.status}: receipt {result.receipt}")
        elif result.answered and result.status is not None and status_means_not_completed(result.status):
            self.result_code, self.result_desc = None, f"Transaction Status: {result.status}"
            self._enter(ReversalStatus.FAILED, now)
            self._record(now, ChangeCause.RECONCILER, f"Transaction Status {result.status}")

    def view(self) -> dict[str, Any]:
        """The reversal as the merchant's server sees it, in replies and events alike."""
        return {
            "id": self.id,
            "status": self.status.value,
            "receipt": self.receipt,
            "amount": self.amount.shillings,
            "reason": self.reason.text,
            "payment_id": self.payment_id,
            "payment_kind": self.payment_kind.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "conversation_id": self.conversation_id,
            "originator_conversation_id": self.originator_conversation_id,
            "result_code": self.result_code,
            "result_desc": self.result_desc,
            "reversal_receipt": self.reversal_receipt,
            "completed_at": self.completed_at,
            "message": None if self.result_code is None else reversal_result_message(self.result_code),
            "version": self.version,
        }

    def history_view(self) -> list[dict[str, Any]]:
        return [change.view() for change in self.history]

    def _enter(self, status: ReversalStatus, now: datetime) -> None:
        self.status, self.updated_at = status, now
        self.lease_owner, self.lease_expires_at = None, None
        if status.is_final:
            self.next_check_at, self.status_query = None, None

    def _record(self, now: datetime, cause: ChangeCause, detail: str | None = None) -> None:
        snapshot = self.view()
        del snapshot["version"]
        self.history.append(StatusChange(now, self.status.value, cause, detail, snapshot))

    def _ensure_not_final(self) -> None:
        if self.status.is_final:
            raise PaymentFinalError(f"reversal {self.id} is already {self.status.value}")

    def _ensure_awaiting_answer(self) -> None:
        """Only the one send in flight (unknown and still leased) may record Daraja's answer to it."""
        self._ensure_not_final()
        if self.status is not ReversalStatus.UNKNOWN or self.lease_owner is None:
            raise ReversalStepError(f"reversal {self.id} is {self.status.value}; Daraja's answer was recorded")

    def _ensure_at_daraja(self) -> None:
        self._ensure_not_final()
        if self.status is ReversalStatus.REQUESTED:
            raise ReversalStepError(f"reversal {self.id} has not been sent to Daraja")

    def _ensure_describes_me(self, result: ReversalResult) -> None:
        if self.conversation_id is not None and result.conversation_id not in (None, self.conversation_id):
            raise CallbackRejectedError("the result names another ConversationID")

    def _learn_ids(self, result: ReversalResult) -> None:
        """A Result that beat Daraja's answer to the request names the request as that answer would have."""
        self.conversation_id = self.conversation_id or result.conversation_id
        self.originator_conversation_id = self.originator_conversation_id or result.originator_conversation_id

    def _ensure_reverses_me(self, result: ReversalResult) -> None:
        if result.original_transaction_id not in (None, self.receipt):
            raise CallbackRejectedError("the result reverses another receipt")
        if result.amount is not None and result.amount != self.amount.shillings:
            raise CallbackRejectedError("the result's amount differs from the reversal's")
        if not result.transaction_id:
            raise CallbackRejectedError("a reversed result must carry the reversal's receipt")
