"""A B2C withdrawal and its state machine.

queued → submitted → success | failed | timeout, and queued/submitted → rejected when Daraja refuses the request
itself. success, failed and rejected are final. timeout is never re-sent (the money may have moved): it waits for
reconciliation, which may still settle it as success or failed. Nothing ever goes back to queued once Daraja may
have the request.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from domain.amount import Amount
from domain.b2c_result_codes import (
    QUEUE_TIMEOUT_MESSAGE,
    REJECTED_MESSAGE,
    b2c_result_meaning,
)
from domain.b2c_result_codes import WithdrawalStatus as WithdrawalStatus
from domain.description import Description
from domain.errors import CallbackRejectedError, PaymentFinalError
from domain.phone import Phone

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


@dataclass(slots=True)
class Withdrawal:
    """A payout; the worker holds `lease_owner` from its claim until Daraja's answer to its one send is recorded."""

    id: str
    hash: str
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
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    version: int = field(default=0, compare=False)

    @classmethod
    def start(
        cls,
        *,
        withdrawal_id: str,
        hash_: str,
        phone: Phone,
        amount: Amount,
        description: Description,
        originator_conversation_id: str,
        callback_token: str,
        now: datetime,
    ) -> "Withdrawal":
        return cls(
            withdrawal_id, hash_, phone, amount, description, originator_conversation_id, callback_token, now, now
        )

    @property
    def allowance_day(self) -> str:
        """The day whose daily total this withdrawal was reserved in: the Nairobi day it was requested."""
        return nairobi_day(self.created_at)

    def b2c_request(self) -> B2cRequest:
        return B2cRequest(
            self.originator_conversation_id, self.phone, self.amount, self.description, self.callback_token
        )

    def begin_submission(self, now: datetime) -> None:
        """The claiming worker is about to call Daraja: from here on the withdrawal is never sent again."""
        self._ensure_not_final()
        if self.status is not WithdrawalStatus.QUEUED or self.lease_owner is None:
            raise WithdrawalStepError(f"withdrawal {self.id} is {self.status.value} and not claimed for sending")
        self.status, self.outcome_unknown, self.updated_at = WithdrawalStatus.SUBMITTED, True, now

    def mark_submitted(self, accepted: B2cAccepted, now: datetime) -> None:
        """Daraja accepted the request: the Result (or reconciliation) decides from here."""
        self._ensure_awaiting_answer()
        self.conversation_id = accepted.conversation_id
        self._enter(WithdrawalStatus.SUBMITTED, now, outcome_unknown=False)

    def mark_already_sent(self, now: datetime) -> None:
        """Daraja has seen this OriginatorConversationID before: an earlier send reached it."""
        self._ensure_awaiting_answer()
        self._enter(WithdrawalStatus.SUBMITTED, now, outcome_unknown=False)

    def mark_outcome_unknown(self, now: datetime) -> None:
        """Daraja's answer was lost: the request may have arrived, so only Daraja's Result may decide."""
        self._ensure_awaiting_answer()
        self._enter(WithdrawalStatus.SUBMITTED, now, outcome_unknown=True)

    def reject(self, code: str, description: str, now: datetime) -> None:
        """Daraja refused the request itself: nothing was paid."""
        self._ensure_awaiting_answer()
        self.result_code, self.result_desc = code, description
        self._enter(WithdrawalStatus.REJECTED, now, outcome_unknown=False)

    def return_to_queue(self, now: datetime) -> None:
        """The request surely never reached Daraja: queue it again for a later claim."""
        self._ensure_awaiting_answer()
        self._enter(WithdrawalStatus.QUEUED, now, outcome_unknown=False)

    def settle(self, result: B2cResult, now: datetime) -> None:
        """Apply Daraja's Result: code 0 is success, any other code a failure (or, for a repeat, still unknown).

        Raises PaymentFinalError once final, and CallbackRejectedError when the result names another withdrawal or
        reports a payout that differs from this one.
        """
        meaning = b2c_result_meaning(result.result_code)
        if meaning.status is WithdrawalStatus.TIMEOUT:
            self.time_out(result, now)
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
        self._record_result(result)
        self._enter(meaning.status, now, outcome_unknown=False)

    def time_out(self, result: B2cResult, now: datetime) -> None:
        """Daraja's QueueTimeOutURL notice: the outcome is unknown until reconciled; never sent again."""
        self._ensure_not_final()
        if self.status is WithdrawalStatus.TIMEOUT:
            raise WithdrawalStepError(f"withdrawal {self.id} has already timed out")
        self._ensure_describes_me(result)
        self._record_result(result)
        self._enter(WithdrawalStatus.TIMEOUT, now, outcome_unknown=True)

    def view(self) -> dict[str, Any]:
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
            "completed_at": self.completed_at,
            "outcome_unknown": self.outcome_unknown,
            "message": self._message(),
        }

    def _message(self) -> str | None:
        if self.result_code is None:
            return None
        if self.status is WithdrawalStatus.TIMEOUT:
            return QUEUE_TIMEOUT_MESSAGE
        if self.status is WithdrawalStatus.REJECTED:
            return REJECTED_MESSAGE
        return b2c_result_meaning(self.result_code).message

    def _enter(self, status: WithdrawalStatus, now: datetime, *, outcome_unknown: bool) -> None:
        self.status, self.outcome_unknown, self.updated_at = status, outcome_unknown, now
        self.lease_owner, self.lease_expires_at = None, None

    def _record_result(self, result: B2cResult) -> None:
        self.conversation_id = self.conversation_id or result.conversation_id
        self.result_code, self.result_desc = result.result_code, result.result_desc

    def _ensure_not_final(self) -> None:
        if self.status.is_final:
            raise PaymentFinalError(f"withdrawal {self.id} is already {self.status.value}")

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
