"""The read API's view of payments and withdrawals: one record of either kind, a filter, and a page position.

Records are listed newest first, by `created_at` and then by id (ids are unique across both kinds), so a page
position is the (created_at, id) of the last record shown: the next page starts strictly after it, and records
created meanwhile never shift a page. The cursor a client gets is that position, opaque (base64url of JSON).
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from domain.b2c.result_codes import WithdrawalStatus
from domain.b2c.withdrawal import Withdrawal
from domain.shared.errors import ValidationError
from domain.stk.payment import Payment
from domain.stk.result_codes import PaymentStatus


class RecordKind(StrEnum):
    STK = "stk"
    B2C = "b2c"


STATUSES: dict[RecordKind, frozenset[str]] = {
    RecordKind.STK: frozenset(status.value for status in PaymentStatus),
    RecordKind.B2C: frozenset(status.value for status in WithdrawalStatus),
}
_CURSOR_LENGTH = 256


@dataclass(frozen=True, slots=True, order=True)
class PagePosition:
    created_at: datetime
    id: str

    def cursor(self) -> str:
        moment = self.created_at.astimezone(UTC).isoformat(timespec="milliseconds")
        return base64.urlsafe_b64encode(json.dumps([moment, self.id]).encode()).decode().rstrip("=")

    @classmethod
    def from_cursor(cls, cursor: str) -> "PagePosition":
        """The position a cursor names; ValidationError for anything this gateway did not hand out."""
        try:
            if len(cursor) > _CURSOR_LENGTH:
                raise ValueError("too long")
            moment, record_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            created_at = datetime.fromisoformat(moment)
            if created_at.tzinfo is None or not isinstance(record_id, str) or not record_id:
                raise ValueError("not a position")
        except (ValueError, TypeError, binascii.Error):
            raise ValidationError("cursor", "is not a cursor this gateway handed out") from None
        return cls(created_at.astimezone(UTC), record_id)


@dataclass(frozen=True, slots=True)
class ListedRecord:
    """A payment (stk) or a withdrawal (b2c); `view` is the socket's `data` for it, with its kind and subject."""

    kind: RecordKind
    record: Payment | Withdrawal

    @property
    def position(self) -> PagePosition:
        return PagePosition(self.record.created_at, self.record.id)

    def view(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "hash": self.record.subject, "data": self.record.view()}


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records to list; times are exclusive bounds on `created_at`."""

    subject: str | None = None
    status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def admits(self, record: ListedRecord) -> bool:
        """Exactly, to the millisecond (a store may match a bound only to the second)."""
        created_at = record.record.created_at
        return (
            (self.subject is None or record.record.subject == self.subject)
            and (self.status is None or record.record.status.value == self.status)
            and (self.created_after is None or created_at > self.created_after)
            and (self.created_before is None or created_at < self.created_before)
        )


def record_filter(
    kinds: tuple[RecordKind, ...],
    subject: str | None,
    status: str | None,
    created_after: datetime | None,
    created_before: datetime | None,
) -> RecordFilter:
    """The filter, checked: a status of the kinds asked for, and time bounds that leave room for a record."""
    if status is not None and not any(status in STATUSES[kind] for kind in kinds):
        known = sorted(set().union(*(STATUSES[kind] for kind in kinds)))
        raise ValidationError("status", f"must be one of: {', '.join(known)}")
    after, before = _utc("created_after", created_after), _utc("created_before", created_before)
    if after is not None and before is not None and after >= before:
        raise ValidationError("created_after", "must be before created_before")
    return RecordFilter(subject, status, after, before)


def _utc(field: str, moment: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC, as every time the gateway shows is."""
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+00:01 is a valid ISO 8601 time before the first UTC one
        raise ValidationError(field, "is out of range") from None
