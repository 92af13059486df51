"""One entry of a payment's or withdrawal's history: what its state became, when, and what caused it."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ChangeCause(StrEnum):
    """Who or what moved the record: the client's request, Daraja's synchronous answer, its callback, an STK query,
    the reconciler's Transaction Status answer, an operator, or the B2C worker."""

    REQUEST = "request"
    DARAJA_ANSWER = "daraja_answer"
    CALLBACK = "callback"
    QUERY = "query"
    RECONCILER = "reconciler"
    OPERATOR = "operator"
    WORKER = "worker"


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: datetime
    status: str
    cause: ChangeCause
    detail: str | None = None
    # The record as every client saw it right after this change: the `data` of the event this change becomes
    # (docs/webhooks-and-events.md). None for entries stored before events existed.
    snapshot: dict[str, Any] | None = field(default=None, compare=False)

    def view(self) -> dict[str, Any]:
        """The entry as the operator sees it."""
        return {"at": self.at.isoformat(), "status": self.status, "cause": self.cause.value, "detail": self.detail}
