"""A B2C withdrawal and its state machine.

queued → submitted → success | failed | timeout, and queued/submitted → rejected when Daraja refuses the request
itself. success, failed and rejected are final. timeout is never re-sent (the money may have moved): it waits for
reconciliation, which may still settle it as success or failed. Nothing ever goes back to queued once Daraja may
have the request.

Every change of state is appended to `history` with its cause. While it is submitted or timed out, the reconciler
asks Daraja's Transaction Status (docs/daraja.md#transaction-status) from `next_check_at` on; the answer settles it.
Each query is opened on the withdrawal with its own single-use secret (`status_query`), and only the answer to the query
still open counts.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, TypedDict

from domain.b2c.result_codes import (
    B2C_SUCCESS_CODE,
    NOT_COMPLETED_MESSAGE,
    QUEUE_TIMEOUT_MESSAGE,
    REJECTED_MESSAGE,
    b2c_result_meaning,
)
from domain.b2c.result_codes import WithdrawalStatus as WithdrawalStatus
from domain.callbacks.received_callback import AppliedCallback
from domain.shared.amount import Amount
from domain.shared.check_schedule import B2C_FIRST_CHECK_AFTER
from domain.shared.client_view import Described, MerchantMetadata, Moment, Msisdn, RecordVersion, Shillings
from domain.shared.description import Description
from domain.shared.errors import CallbackRejectedError, PaymentFinalError
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.shared.phone import Phone
from domain.shared.status_change import ChangeCause, StatusChange
from domain.shared.status_query import OpenStatusQuery, StatusQueryRequest, status_token_digest
from domain.shared.transaction_status import TransactionStatusResult, status_means_not_completed

# Kenya keeps East Africa Time all year, so a fixed offset needs no time-zone database.
NAIROBI = timezone(timedelta(hours=3), "EAT")


class WithdrawalStepError(PaymentFinalError):
    """The withdrawal is past the step asked for (e.g. it may be at Daraja already): the stored state stands."""


@dataclass(frozen=True, slots=True)
class B2cRequest:
    """What Daraja needs to pay a customer; `callback_token` names the withdrawal in ResultURL and QueueTimeOutURL."""

    originator_conversation_id: str
    phone: Phone
    amount: Amount
    remarks: Description
    callback_token: str
    occasion: str | None = None


@dataclass(frozen=True, slots=True)
class B2cAccepted:
    conversation_id: str
    originator_conversation_id: str


@dataclass(frozen=True, slots=True)
class B2cResult:
    """Daraja's Result for one payout (ResultURL), or its queue time-out notice (QueueTimeOutURL)."""

    originator_conversation_id: str
    conversation_id: str
    result_code: str
    result_desc: str
    receipt: str | None = None
    amount: int | None = None
    recipient_name: str | None = None
    completed_at: str | None = None


def nairobi_day(moment: datetime) -> str:
    """The Kenyan calendar day (YYYY-MM-DD) of a moment: the day a daily total counts in."""
    return moment.astimezone(NAIROBI).date().isoformat()


class WithdrawalView(TypedDict):
    """A B2C withdrawal, in replies and updates alike: queued → submitted → success, failed or timeout; or
    rejected by Daraja outright. A timeout is never re-sent: only reconciliation settles it."""

    id: Annotated[str, Described("The gateway's withdrawal id.")]
    status: Annotated[str, Described("See the B2C status table in docs/protocol.md.", choices=WithdrawalStatus)]
    phone: Msisdn
    amount: Shillings
    description: Annotated[str, Described("As stored; sent to Daraja as Remarks.")]
    originator_conversation_id: Annotated[
        str, Described("Generated and stored before anything is sent, so a Result can always be matched.")
    ]
    conversation_id: Annotated[str | None, Described("Daraja's ConversationID, once submitted.")]
    created_at: Moment
    updated_at: Moment
    result_code: Annotated[str | None, Described('Daraja\'s Result code once known; "0" is the only success.')]
    result_desc: Annotated[str | None, Described("Daraja's Result description once known.")]
    receipt: Annotated[str | None, Described("On success: the M-PESA receipt (TransactionReceipt).")]
    recipient_name: Annotated[str | None, Described("On success: ReceiverPartyPublicName, as Daraja reports it.")]
    completed_at: (
        Annotated[
            str,
            Described(
                "On success: when M-PESA completed the payout, ISO 8601 in UTC (Daraja's "
                "TransactionCompletedDateTime, or the Transaction Status FinalisedTime, read as Kenyan time). "
                "null before, on failure, or if Daraja's value was in no known form.",
                moment=True,
            ),
        ]
        | None
    )
    outcome_unknown: Annotated[bool, Described("true while the gateway cannot know whether the money moved.")]
    message: Annotated[str | None, Described("A sentence for the outcome, fit to show a customer.")]
    reference: Annotated[str | None, Described("The merchant's reference from the request; null when none was given.")]
    metadata: Annotated[
        MerchantMetadata | None,
        Described("The merchant's metadata from the request, as given; null when none was given."),
    ]
    version: RecordVersion


@dataclass(slots=True)
class Withdrawal:
    """A payout; the worker holds `lease_owner` from its claim until Daraja's answer to its one send is recorded."""

    id: str
    subject: str
    phone: Phone
    amount: Amount
    description: Description
    originator_conversation_id: str
    callback_token: str
    created_at: datetime
    updated_at: datetime
    status: WithdrawalStatus = WithdrawalStatus.QUEUED
    conversation_id: str | None = None
    result_code: str | None = None
    result_desc: str | None = None
    receipt: str | None = None
    recipient_name: str | None = None
    completed_at: str | None = None
    outcome_unknown: bool = False
    # A success Result waiting for Transaction Status to confirm it (CONFIRM_SUCCESS_CALLBACKS); never shown to clients.
    unconfirmed_success: B2cResult | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    # When the reconciler may ask Transaction Status next, and how often it has: scheduling, not state.
    next_check_at: datetime | None = None
    check_attempts: int = 0
    # The Transaction Status query asked and not yet answered, if any; a newer one replaces it.
    status_query: OpenStatusQuery | None = None
    # The merchant's own: `reference` is sent to Daraja as Occasion, `metadata` never leaves the gateway.
    reference: MerchantReference | None = None
    metadata: Metadata | None = None
    # The callback that applied to it (its first to change it), as received: written by the same conditional write
    # that applied it, instead of a journal entry. Audit, not state: no history entry, never shown to clients.
    applied_callback: AppliedCallback | None = field(default=None, compare=False)
    history: list[StatusChange] = field(default_factory=list)
    version: int = field(default=0, compare=False)

    @classmethod
    def start(
        cls,
        *,
        withdrawal_id: str,
        subject: str,
        phone: Phone,
        amount: Amount,
        description: Description,
        originator_conversation_id: str,
        callback_token: str,
        now: datetime,
        reference: MerchantReference | None = None,
        metadata: Metadata | None = None,
    ) -> "Withdrawal":
        withdrawal = cls(
            withdrawal_id, subject, phone, amount, description, originator_conversation_id, callback_token, now, now
        )
        withdrawal.reference, withdrawal.metadata = reference, metadata
        withdrawal._record(now, ChangeCause.REQUEST)
        return withdrawal

    @property
    def allowance_day(self) -> str:
        """The day whose daily total this withdrawal was reserved in: the Nairobi day it was requested."""
        return nairobi_day(self.created_at)

    def b2c_request(self) -> B2cRequest:
        return B2cRequest(
            self.originator_conversation_id,
            self.phone,
            self.amount,
            self.description,
            self.callback_token,
            None if self.reference is None else self.reference.text,
        )

    def begin_submission(
        self,
        now: datetime,
        *,
        cause: ChangeCause = ChangeCause.WORKER,
        first_check_after: timedelta = B2C_FIRST_CHECK_AFTER,
    ) -> None:
        """The claiming worker is about to call Daraja: from here on the withdrawal is never sent again.

        Should the worker die before Daraja's answer is recorded, the reconciler asks Daraja from the first check on.
        """
        self._ensure_not_final()
        if self.status is not WithdrawalStatus.QUEUED or self.lease_owner is None:
            raise WithdrawalStepError(f"withdrawal {self.id} is {self.status.value} and not claimed for sending")
        self.status, self.outcome_unknown, self.updated_at = WithdrawalStatus.SUBMITTED, True, now
        self._check_from(now + first_check_after)
        self._record(now, cause, "sending to Daraja")

    def mark_submitted(
        self,
        accepted: B2cAccepted,
        now: datetime,
        *,
        cause: ChangeCause = ChangeCause.DARAJA_ANSWER,
        first_check_after: timedelta = B2C_FIRST_CHECK_AFTER,
    ) -> None:
        """Daraja accepted the request: the Result (or reconciliation) decides from here."""
        self._ensure_awaiting_answer()
        self.conversation_id = accepted.conversation_id
        self._enter(WithdrawalStatus.SUBMITTED, now, outcome_unknown=False)
        self._check_from(now + first_check_after)
        self._record(now, cause, f"accepted: ConversationID {accepted.conversation_id}")

    def mark_already_sent(
        self,
        now: datetime,
        *,
        cause: ChangeCause = ChangeCause.DARAJA_ANSWER,
        first_check_after: timedelta = B2C_FIRST_CHECK_AFTER,
    ) -> None:
        """Daraja has seen this OriginatorConversationID before: an earlier send reached it."""
        self._ensure_awaiting_answer()
        self._enter(WithdrawalStatus.SUBMITTED, now, outcome_unknown=False)
        self._check_from(now + first_check_after)
        self._record(now, cause, "Daraja has seen this OriginatorConversationID before")

    def mark_outcome_unknown(
        self,
        now: datetime,
        *,
        cause: ChangeCause = ChangeCause.DARAJA_ANSWER,
        first_check_after: timedelta = B2C_FIRST_CHECK_AFTER,
    ) -> None:
        """Daraja's answer was lost: the request may have arrived, so only Daraja's Result may decide."""
        self._ensure_awaiting_answer()
        self._enter(WithdrawalStatus.SUBMITTED, now, outcome_unknown=True)
        self._check_from(now + first_check_after)
        self._record(now, cause, "Daraja's answer to the request was lost; outcome unknown")

    def reject(
        self, code: str, description: str, now: datetime, *, cause: ChangeCause = ChangeCause.DARAJA_ANSWER
    ) -> None:
        """Daraja refused the request itself: nothing was paid."""
        self._ensure_awaiting_answer()
        self.result_code, self.result_desc = code, description
        self._enter(WithdrawalStatus.REJECTED, now, outcome_unknown=False)
        self._record(now, cause, f"{code}: {description}")

    def return_to_queue(self, now: datetime, *, cause: ChangeCause = ChangeCause.WORKER) -> None:
        """The request surely never reached Daraja: queue it again for a later claim."""
        self._ensure_awaiting_answer()
        self._enter(WithdrawalStatus.QUEUED, now, outcome_unknown=False)
        self._record(now, cause, "Daraja could not be reached; queued again")

    def settle(self, result: B2cResult, now: datetime, *, cause: ChangeCause = ChangeCause.CALLBACK) -> None:
        """Apply Daraja's Result: code 0 is success, any other code a failure (or, for a repeat, still unknown).

        Raises PaymentFinalError once final, and CallbackRejectedError when the result names another withdrawal or
        reports a payout that differs from this one.
        """
        meaning = b2c_result_meaning(result.result_code)
        if meaning.status is WithdrawalStatus.TIMEOUT:
            self.time_out(result, now, cause=cause)
            return
        self._ensure_not_final()
        self._ensure_describes_me(result)
        if meaning.status is WithdrawalStatus.SUCCESS:
            self._ensure_pays_me(result)
            self.receipt, self.recipient_name, self.completed_at = (
                result.receipt,
                result.recipient_name,
                result.completed_at,
            )
        self.unconfirmed_success = None
        self._record_result(result)
        self._enter(meaning.status, now, outcome_unknown=False)
        self._record(now, cause, f"{result.result_code}: {result.result_desc}")

    def time_out(self, result: B2cResult, now: datetime, *, cause: ChangeCause = ChangeCause.CALLBACK) -> None:
        """Daraja's QueueTimeOutURL notice: the outcome is unknown until reconciled (at once); never sent again."""
        self._ensure_not_final()
        if self.status is WithdrawalStatus.TIMEOUT:
            raise WithdrawalStepError(f"withdrawal {self.id} has already timed out")
        self._ensure_describes_me(result)
        self._record_result(result)
        self._enter(WithdrawalStatus.TIMEOUT, now, outcome_unknown=True)
        self._check_from(now)
        self._record(now, cause, f"queue time-out {result.result_code}: {result.result_desc}")

    def hold_unconfirmed_success(self, result: B2cResult, now: datetime, *, recheck_at: datetime) -> None:
        """Keep a success Result until Daraja's Transaction Status confirms it: the withdrawal stays as it is, and the
        reconciler asks from `recheck_at` should the answer not come. Raises as `settle` would for this result."""
        self._ensure_not_final()
        if b2c_result_meaning(result.result_code).status is not WithdrawalStatus.SUCCESS:
            raise ValueError("only a success waits for confirmation")
        self._ensure_describes_me(result)
        self._ensure_pays_me(result)
        self.conversation_id = self.conversation_id or result.conversation_id
        self.unconfirmed_success, self.updated_at = result, now
        self._check_from(recheck_at)
        self._record(
            now, ChangeCause.CALLBACK, f"success reported (receipt {result.receipt}); awaiting Transaction Status"
        )

    @property
    def awaiting_reconciliation(self) -> bool:
        """Submitted or timed out: only Daraja's Result or a Transaction Status answer can settle it."""
        return self.status in (WithdrawalStatus.SUBMITTED, WithdrawalStatus.TIMEOUT)

    def schedule_check(self, at: datetime) -> None:
        """The reconciler takes its turn now and will look again at `at` (stored before it asks Daraja)."""
        self._ensure_awaiting_reconciliation()
        self.next_check_at, self.check_attempts = at, self.check_attempts + 1

    def open_status_query(self, token: str, now: datetime) -> StatusQueryRequest:
        """A Transaction Status query is about to be asked with the new secret `token` (stored before it is asked):
        from here on only its answer counts, and that of any query before it no longer does."""
        self._ensure_awaiting_reconciliation()
        self.status_query = OpenStatusQuery(status_token_digest(token), now)
        held = self.unconfirmed_success
        receipt = self.receipt or (None if held is None else held.receipt)
        return StatusQueryRequest(self.originator_conversation_id, token, receipt)

    def take_status_answer(self, token: str, result: TransactionStatusResult) -> None:
        """Close the open query whose secret is `token` with its answer, before the answer is applied.

        Raises CallbackRejectedError, changing nothing, when no open query has this secret (never asked, already
        answered, or superseded by a newer one) or the answer names another payout than the one asked about.
        """
        if self.status_query is None or not self.status_query.is_named_by(token):
            raise CallbackRejectedError("no open Transaction Status query has this status URL")
        if result.originator_conversation_id != self.originator_conversation_id:
            raise CallbackRejectedError("the status answer does not name the payout the query asked about")
        self.status_query = None

    def settle_from_status(
        self, result: TransactionStatusResult, now: datetime, *, cause: ChangeCause = ChangeCause.RECONCILER
    ) -> None:
        """Apply Daraja's Transaction Status answer: Completed settles as success with its receipt; Failed or Expired
        as failed; "Pending", an unknown word, or a query that found nothing change nothing (keep waiting).

        Only a submitted or timed-out withdrawal changes: raises PaymentFinalError once final (WithdrawalStepError
        while still queued), and CallbackRejectedError when the answer names another payout or reports a
        completed payout that differs from this one.
        """
        self._ensure_awaiting_reconciliation()
        if not result.answered:
            return
        if result.originator_conversation_id != self.originator_conversation_id:
            raise CallbackRejectedError("the status answer names another OriginatorConversationID")
        if self.conversation_id is not None and result.conversation_id not in (None, self.conversation_id):
            raise CallbackRejectedError("the status answer names another ConversationID")
        if result.completed:
            self._settle_completed(result, now, cause)
        elif result.status is not None and status_means_not_completed(result.status):
            held, self.unconfirmed_success = self.unconfirmed_success, None
            self.conversation_id = self.conversation_id or result.conversation_id
            self.result_code, self.result_desc = None, f"Transaction Status: {result.status}"
            self._enter(WithdrawalStatus.FAILED, now, outcome_unknown=False)
            refutes = "" if held is None else f" (refutes the Result's success, receipt {held.receipt})"
            self._record(now, cause, f"Transaction Status {result.status}{refutes}")

    def history_view(self) -> list[dict[str, Any]]:
        """Every change of state, oldest first, for the operator (clients see `view`)."""
        return [change.view() for change in self.history]

    def view(self) -> WithdrawalView:
        """The withdrawal as every client sees it, in replies and updates alike."""
        return {
            "id": self.id,
            "status": self.status.value,
            "phone": self.phone.msisdn,
            "amount": self.amount.shillings,
            "description": self.description.text,
            "originator_conversation_id": self.originator_conversation_id,
            "conversation_id": self.conversation_id,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "result_code": self.result_code,
            "result_desc": self.result_desc,
            "receipt": self.receipt,
            "recipient_name": self.recipient_name,
            "completed_at": _wire_time(self.completed_at),
            "outcome_unknown": self.outcome_unknown,
            "message": self._message(),
            "reference": None if self.reference is None else self.reference.text,
            "metadata": None if self.metadata is None else self.metadata.as_dict(),
            # Bumped by every stored change: of two states of the record, the higher version is the newer.
            "version": self.version,
        }

    def _message(self) -> str | None:
        if self.status is WithdrawalStatus.FAILED and self.result_code is None:
            return NOT_COMPLETED_MESSAGE
        if self.result_code is None:
            return None
        if self.status is WithdrawalStatus.TIMEOUT:
            return QUEUE_TIMEOUT_MESSAGE
        if self.status is WithdrawalStatus.REJECTED:
            return REJECTED_MESSAGE
        return b2c_result_meaning(self.result_code).message

    def _settle_completed(self, result: TransactionStatusResult, now: datetime, cause: ChangeCause) -> None:
        if result.amount != self.amount.shillings:
            raise CallbackRejectedError("the status answer's amount differs from the withdrawal's")
        if not result.receipt:
            raise CallbackRejectedError("a completed status answer must carry a receipt number")
        held, self.unconfirmed_success = self.unconfirmed_success, None
        self.conversation_id = self.conversation_id or result.conversation_id
        self.receipt, self.completed_at = result.receipt, _completed_at(result.finalised_time)
        self.result_code, self.result_desc = B2C_SUCCESS_CODE, f"Transaction Status: {result.status}"
        detail = f"Transaction Status {result.status}: receipt {result.receipt}"
        if held is not None and held.receipt == result.receipt:
            # Confirmed: the Result's own words, which Transaction Status lacks, stand.
            self.recipient_name, self.completed_at = held.recipient_name, held.completed_at or self.completed_at
            self.result_desc = held.result_desc
            detail = f"{detail} (confirms the Result's success)"
        elif held is not None:
            detail = f"{detail} (the Result reported receipt {held.receipt})"
        self._enter(WithdrawalStatus.SUCCESS, now, outcome_unknown=False)
        self._record(now, cause, detail)

    def _enter(self, status: WithdrawalStatus, now: datetime, *, outcome_unknown: bool) -> None:
        self.status, self.outcome_unknown, self.updated_at = status, outcome_unknown, now
        self.lease_owner, self.lease_expires_at = None, None
        if status is not WithdrawalStatus.SUBMITTED and status is not WithdrawalStatus.TIMEOUT:
            self.next_check_at = None

    def _check_from(self, at: datetime) -> None:
        """It entered (or re-entered) a state only Daraja can settle: the reconciler starts over from `at`."""
        self.next_check_at, self.check_attempts = at, 0

    def _record(self, now: datetime, cause: ChangeCause, detail: str | None = None) -> None:
        # Not its `version`: that is given by the save that stores this change (events are ordered by `sequence`).
        snapshot = {key: value for key, value in self.view().items() if key != "version"}
        self.history.append(StatusChange(now, self.status.value, cause, detail, snapshot))

    def _record_result(self, result: B2cResult) -> None:
        self.conversation_id = self.conversation_id or result.conversation_id
        self.result_code, self.result_desc = result.result_code, result.result_desc

    def _ensure_not_final(self) -> None:
        if self.status.is_final:
            raise PaymentFinalError(f"withdrawal {self.id} is already {self.status.value}")

    def _ensure_awaiting_reconciliation(self) -> None:
        self._ensure_not_final()
        if not self.awaiting_reconciliation:
            raise WithdrawalStepError(f"withdrawal {self.id} is {self.status.value}; it is not at Daraja yet")

    def _ensure_awaiting_answer(self) -> None:
        """Only a queued withdrawal, or the one send in flight (submitted, still leased), may record its answer."""
        self._ensure_not_final()
        in_flight = self.status is WithdrawalStatus.SUBMITTED and self.lease_owner is not None
        if self.status is not WithdrawalStatus.QUEUED and not in_flight:
            raise WithdrawalStepError(f"withdrawal {self.id} is {self.status.value}; Daraja's answer was recorded")

    def _ensure_describes_me(self, result: B2cResult) -> None:
        if result.originator_conversation_id != self.originator_conversation_id:
            raise CallbackRejectedError("the result names another OriginatorConversationID")
        if self.conversation_id is not None and result.conversation_id != self.conversation_id:
            raise CallbackRejectedError("the result names another ConversationID")

    def _ensure_pays_me(self, result: B2cResult) -> None:
        if result.amount != self.amount.shillings:
            raise CallbackRejectedError("the result's amount differs from the withdrawal's")
        if not result.receipt:
            raise CallbackRejectedError("a successful result must carry a receipt number")


# Daraja's times are Kenyan local time, which has no daylight saving (docs/daraja.md#b2c-result).
_KENYAN_TIME = timezone(timedelta(hours=3), "EAT")


def _wire_time(completed_at: str | None) -> str | None:
    """Daraja's DD.MM.YYYY HH:mm:ss as ISO 8601 in UTC, like every other time clients see. A value in no form Daraja
    is known to use stays in the record for operators but is not shown: clients get null rather than a guess."""
    if completed_at is None:
        return None
    try:
        moment = datetime.strptime(completed_at, "%d.%m.%Y %H:%M:%S").replace(tzinfo=_KENYAN_TIME)
    except ValueError:
        return None
    return moment.astimezone(UTC).isoformat()


def _completed_at(finalised_time: str | None) -> str | None:
    """Transaction Status gives YYYYMMDDHHmmss; the Result's TransactionCompletedDateTime reads DD.MM.YYYY
    HH:mm:ss: the record keeps the latter shape (`_wire_time` reads it). Anything else is kept as Daraja sent it."""
    if finalised_time is None or len(finalised_time) != 14 or not finalised_time.isdigit():
        return finalised_time
    t = finalised_time
    return f"{t[6:8]}.{t[4:6]}.{t[0:4]} {t[8:10]}:{t[10:12]}:{t[12:14]}"
