"""What the records use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from domain.records.listing import ListedRecord, PagePosition, RecordFilter
from domain.shared.phone import Phone
from domain.shared.resume_cursor import ResumeCursor


class RecordCounts(Protocol):
    """How many payments and withdrawals are in each state right now (for monitoring; cheap, index-backed)."""

    @abstractmethod
    async def payments_by_status(self) -> dict[str, int]:
        """Every payment status, with the number of payments in it (zero included)."""

    @abstractmethod
    async def withdrawals_by_status(self) -> dict[str, int]:
        """Every withdrawal status, with the number of withdrawals in it (zero included)."""


class RecordSearch(Protocol):
    """The stored records of one kind (STK payments, or B2C withdrawals), for the read API."""

    @abstractmethod
    async def by_id(self, record_id: str) -> ListedRecord | None:
        """The record with this gateway id, of any subject."""

    @abstractmethod
    async def newest_first(self, where: RecordFilter, after: PagePosition | None, limit: int) -> list[ListedRecord]:
        """Up to `limit` records the filter admits, newest first by (created_at, id), strictly after `after`."""


class StuckKind(StrEnum):
    """What a stuck record is: the read API's two kinds of record, and the reversals only the operator sees."""

    STK = "stk"
    B2C = "b2c"
    REVERSAL = "reversal"


@dataclass(frozen=True, slots=True)
class StuckRecord:
    """A payment, withdrawal or reversal outside a final state; `daraja_ids` are Daraja's names for it (a reversal's
    include the receipt it reverses), None until known. A reversal has no phone."""

    kind: StuckKind
    id: str
    subject: str
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
            self.kind is StuckKind.STK
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
            "hash": self.subject,
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


class Missable(Protocol):
    """A payment or withdrawal as a catch-up sends it: placed by its id and last change, shown by its view."""

    @property
    def id(self) -> str: ...

    @property
    def updated_at(self) -> datetime: ...

    def view(self) -> dict[str, Any]: ...


class RecentChanges(Protocol):
    """What a reconnecting client of a subject has to catch up on, read in the order of `ResumeCursor`."""

    @abstractmethod
    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> Sequence[Missable]:
        """The subject's records whose last change is placed after `after`, in that order, the first `limit`."""

    @abstractmethod
    async def open_or_changed_after(self, subject: str, start: ResumeCursor, limit: int) -> Sequence[Missable] | None:
        """In one read, the subject's records not yet final whose last change is placed up to `start` and every one
        placed after it, in no particular order; None, rather than a part of them, when they are more than
        `limit`."""

    @abstractmethod
    async def open_between(
        self, subject: str, after: ResumeCursor, until: ResumeCursor, limit: int
    ) -> Sequence[Missable]:
        """The subject's records not yet final whose last change is placed after `after` and not after `until`, in
        that order, the first `limit`."""
