from abc import abstractmethod
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from domain.phone import Phone


class RecordKind(StrEnum):
    STK = "stk"
    B2C = "b2c"
    REVERSAL = "reversal"


@dataclass(frozen=True, slots=True)
class StuckRecord:
    """A payment, withdrawal or reversal outside a final state; `daraja_ids` are Daraja's names for it (a reversal's
    include the receipt it reverses), None until known. A reversal has no phone."""

    kind: RecordKind
    id: str
    hash: str
    status: str
    amount: int
    phone: Phone | None
    created_at: datetime
    updated_at: datetime
    outcome_unknown: bool
    daraja_ids: tuple[tuple[str, str | None], ...]
    age_seconds: int | None = None

    def as_of(self, now: datetime, unanswered_after: timedelta) -> "StuckRecord":
        """With its age at `now`; a push still without a CheckoutRequestID after `unanswered_after` is shown as
        outcome unknown (its answer was lost or its process died before recording it: only its callback settles it)."""
        unanswered = (
            self.kind is RecordKind.STK
            and dict(self.daraja_ids).get("checkout") is None
            and now - self.created_at >= unanswered_after
        )
        age = max(0, int((now - self.created_at).total_seconds()))
        return replace(self, outcome_unknown=self.outcome_unknown or unanswered, age_seconds=age)

    def view(self) -> dict[str, Any]:
        """What an operator sees: the phone masked, no callback token."""
        return {
            "kind": self.kind.value,
            "id": self.id,
            "hash": self.hash,
            "status": self.status,
            "amount": self.amount,
            "phone": None if self.phone is None else self.phone.masked,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "outcome_unknown": self.outcome_unknown,
            "age_seconds": self.age_seconds,
            **dict(self.daraja_ids),
        }


class StuckRecords(Protocol):
    @abstractmethod
    async def updated_before(self, cutoff: datetime, limit: int) -> list[StuckRecord]:
        """Up to `limit` records unchanged since before `cutoff`, the longest unchanged first.

        Not final means a payment still pending, a withdrawal queued, submitted or timed out (waiting to be
        reconciled), or a reversal requested, sent or unknown (its outcome not heard; it is never sent again).
        """
