"""A callback the gateway acknowledged or refused but did not apply, kept for an operator to look into."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.callbacks.received_callback import CallbackKind


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"


class AnomalyKind(StrEnum):
    # A callback for a final record whose result code differs from the stored one.
    DUPLICATE_DISAGREES = "duplicate_disagrees"
    # Refused with a 4xx: unknown token, or ids, amount or phone that contradict the record the token names.
    REJECTED = "rejected"
    # A success for a record already final but not successful: money may have moved while the gateway says not.
    LATE_SUCCESS = "late_success"
    # A success Daraja's own query (STK query, Transaction Status) contradicts: a forgery by someone who learnt the
    # secret URL, or Daraja disagreeing with itself. Never applied.
    UNCONFIRMED_SUCCESS = "unconfirmed_success"

    @property
    def severity(self) -> Severity:
        critical = self in (AnomalyKind.LATE_SUCCESS, AnomalyKind.UNCONFIRMED_SUCCESS)
        return Severity.CRITICAL if critical else Severity.WARNING


@dataclass(frozen=True, slots=True)
class Anomaly:
    """What the callback said, what was stored, and where to find the callback as received (`journal_id`)."""

    kind: AnomalyKind
    callback: CallbackKind
    reason: str
    at: datetime
    journal_id: str | None = None
    payment_id: str | None = None
    withdrawal_id: str | None = None
    checkout: str | None = None
    merchant_request: str | None = None
    originator_conversation_id: str | None = None
    conversation_id: str | None = None
    result_code: str | None = None
    stored_status: str | None = None
    stored_result_code: str | None = None

    @property
    def severity(self) -> Severity:
        return self.kind.severity

    def view(self) -> dict[str, Any]:
        """The anomaly as an operator sees it."""
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "callback": self.callback.value,
            "reason": self.reason,
            "at": self.at.isoformat(),
            "journal_id": self.journal_id,
            "payment_id": self.payment_id,
            "withdrawal_id": self.withdrawal_id,
            "checkout": self.checkout,
            "merchant_request": self.merchant_request,
            "originator_conversation_id": self.originator_conversation_id,
            "conversation_id": self.conversation_id,
            "result_code": self.result_code,
            "stored_status": self.stored_status,
            "stored_result_code": self.stored_result_code,
        }
