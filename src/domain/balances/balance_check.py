"""One Account Balance query: recorded before Daraja is asked, answered by its Result at the query's own secret URL.

A query is harmless to repeat (it moves no money), so nothing here is reconciled: a query Daraja never answers is
simply superseded by the next one. What matters is that an answer is applied once, to the query it names.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.balances.account_balance import AccountBalance
from domain.shared.errors import PaymentFinalError


class CheckStatus(StrEnum):
    REQUESTED = "requested"  # stored; Daraja not asked yet, or its answer not stored yet
    ACCEPTED = "accepted"  # Daraja accepted the query; its Result is awaited
    ANSWERED = "answered"  # a successful Result was applied
    FAILED = "failed"  # Daraja refused the query, or its Result carried a failure code
    TIMED_OUT = "timed_out"  # Daraja's queue time-out notice came instead of a Result


FINAL = frozenset({CheckStatus.ANSWERED, CheckStatus.FAILED, CheckStatus.TIMED_OUT})


class CheckTrigger(StrEnum):
    SCHEDULE = "schedule"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class BalanceQueryRequest:
    """What the provider sends: the secret that the ResultURL and QueueTimeOutURL end with, and the remarks."""

    callback_token: str
    remarks: str


@dataclass(frozen=True, slots=True)
class BalanceQueryAccepted:
    conversation_id: str
    originator_conversation_id: str


@dataclass(frozen=True, slots=True)
class BalanceResult:
    """Daraja's Result for a balance query, as read from its callback."""

    result_code: str
    result_desc: str
    originator_conversation_id: str | None
    conversation_id: str | None
    accounts: tuple[AccountBalance, ...]
    completed_at: str | None  # BOCompletedTime, as Daraja wrote it (EAT, YYYYMMDDHHmmss)

    @property
    def succeeded(self) -> bool:
        return self.result_code == "0"


# Daraja answers a balance query in seconds, or says it timed out in its queue: a check still open after this
# was never answered, and is shown so (the next scheduled or asked-for check is made regardless).
UNANSWERED_AFTER = timedelta(minutes=10)


@dataclass(slots=True)
class BalanceCheck:
    id: str
    callback_token: str
    trigger: CheckTrigger
    requested_at: datetime
    status: CheckStatus = CheckStatus.REQUESTED
    conversation_id: str | None = None
    originator_conversation_id: str | None = None
    result_code: str | None = None
    result_desc: str | None = None
    answered_at: datetime | None = None
    accounts: tuple[AccountBalance, ...] = field(default=())
    version: int = 0

    def query_request(self) -> BalanceQueryRequest:
        return BalanceQueryRequest(self.callback_token, "Balance check")

    def accept(self, accepted: BalanceQueryAccepted) -> None:
        if self.status is CheckStatus.REQUESTED:
            self.status = CheckStatus.ACCEPTED
        # A Result may already have been applied (it can beat the synchronous answer): keep its outcome.
        self.conversation_id = accepted.conversation_id
        self.originator_conversation_id = accepted.originator_conversation_id

    def refuse(self, code: str, message: str, now: datetime) -> None:
        self._guard()
        self.status, self.result_code, self.result_desc, self.answered_at = CheckStatus.FAILED, code, message, now

    def answer(self, result: BalanceResult, now: datetime) -> None:
        self._guard()
        self.result_code, self.result_desc, self.answered_at = result.result_code, result.result_desc, now
        if result.succeeded and result.accounts:
            self.status, self.accounts = CheckStatus.ANSWERED, result.accounts
        else:
            self.status = CheckStatus.FAILED
        if self.conversation_id is None:
            self.conversation_id = result.conversation_id
            self.originator_conversation_id = result.originator_conversation_id

    def time_out(self, result: BalanceResult, now: datetime) -> None:
        self._guard()
        self.status, self.result_code, self.result_desc = CheckStatus.TIMED_OUT, result.result_code, result.result_desc
        self.answered_at = now

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def _guard(self) -> None:
        if self.final:
            raise PaymentFinalError(f"balance check {self.id} is already {self.status.value}")

    def unanswered(self, now: datetime) -> bool:
        """Asked long ago and never settled: Daraja's Result (and its queue time-out) did not come."""
        return not self.final and now - self.requested_at >= UNANSWERED_AFTER

    def view_as_of(self, now: datetime) -> dict[str, Any]:
        """`view`, and whether the check is `unanswered` as of `now` (then the balances shown are older)."""
        return {**self.view(), "unanswered": self.unanswered(now)}

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "trigger": self.trigger.value,
            "status": self.status.value,
            "requested_at": self.requested_at.isoformat(),
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "result_code": self.result_code,
            "result_desc": self.result_desc,
            "conversation_id": self.conversation_id,
        }
