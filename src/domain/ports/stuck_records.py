from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from domain.phone import Phone


class RecordKind(StrEnum):
    STK = "stk"
    B2C = "b2c"


@dataclass(frozen=True, slots=True)
class StuckRecord:
    """A payment or withdrawal outside a final state; `daraja_ids` are Daraja's names for it, None until known."""

    kind: RecordKind
    id: str
    hash: str
    status: str
    amount: int
    phone: Phone
    created_at: datetime
    updated_at: datetime
    outcome_unknown: bool
    daraja_ids: tuple[tuple[str, str | None], ...]

    def view(self) -> dict[str, Any]:
        """What an operator sees: the phone masked, no callback token."""
        return {
            "kind": self.kind.value,
            "id": self.id,
            "hash": self.hash,
            "status": self.status,
            "amount": self.amount,
            "phone": self.phone.masked,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "outcome_unknown": self.outcome_unknown,
            **dict(self.daraja_ids),
        }


class StuckRecords(Protocol):
    @abstractmethod
    async def updated_before(self, cutoff: datetime, limit: int) -> list[StuckRecord]:
        """Up to `limit` records unchanged since before `cutoff`, the longest unchanged first.

        Not final means a payment still pending, or a withdrawal queued, submitted or timed out (waiting to be
        reconciled).
        """
