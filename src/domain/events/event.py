"""An event: one state change of one payment or withdrawal, as the feed and the webhooks show it.

Its id is derived from the record and the position of the change in the record's history, so turning the same
history entry into an event twice yields the same id: the store's unique index makes the relay's retries harmless.
The sequence number is given when the event enters the feed (see `EventLog`).
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.events.types import event_type
from domain.shared.status_change import StatusChange


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    record_kind: str
    record_id: str
    created: datetime
    data: dict[str, Any]
    sequence: int = 0

    def numbered(self, sequence: int) -> "Event":
        return replace(self, sequence=sequence)

    def view(self) -> dict[str, Any]:
        """The event as a merchant's backend sees it, in the feed and as a webhook's body."""
        return {
            "id": self.id,
            "type": self.type,
            "sequence": self.sequence,
            "created": self.created.isoformat(),
            "data": self.data,
        }


def event_id(record_kind: str, record_id: str, position: int) -> str:
    digest = hashlib.sha256(f"{record_kind}:{record_id}:{position}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


def events_of(
    record_kind: str, record_id: str, history: list[StatusChange], current_view: Mapping[str, Any]
) -> list[Event]:
    """Every history entry as an event, oldest first. An entry stored before snapshots existed carries the record
    as it is now."""
    return [
        Event(
            id=event_id(record_kind, record_id, position),
            type=event_type(record_kind, change.status),
            record_kind=record_kind,
            record_id=record_id,
            created=change.at,
            data=change.snapshot if change.snapshot is not None else dict(current_view),
        )
        for position, change in enumerate(history)
    ]
