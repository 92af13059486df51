"""What the events use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from domain.events.event import Event
from domain.shared.status_change import StatusChange


class EventLog(Protocol):
    """The ordered event feed. Sequence numbers are dense (1, 2, 3, …) and given in the order events are appended."""

    @abstractmethod
    async def append(self, event: Event) -> bool:
        """Give `event` the next sequence number and store it; False, storing nothing, when its id is stored already."""

    @abstractmethod
    async def append_all(self, events: Sequence[Event]) -> int:
        """`append` each event in turn, in one store command where nothing gets in between; how many were stored."""

    @abstractmethod
    async def after(self, sequence: int, limit: int) -> list[Event]:
        """Up to `limit` events numbered after `sequence`, in order, without a gap: never one numbered past an
        event that is not visible yet."""

    @abstractmethod
    async def last_sequence(self) -> int:
        """The highest sequence number given so far (0 before the first event)."""


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A payment or withdrawal written since the relay last looked: its whole history, as that write stored it."""

    record_kind: str
    record_id: str
    version: int
    history: list[StatusChange]
    current_view: Mapping[str, Any]


class EventOutbox(Protocol):
    """Records whose latest write may hold state changes not yet in the event feed."""

    @abstractmethod
    async def pending(self, limit: int, kinds: frozenset[str] | None = None) -> list[OutboxRecord]:
        """Up to `limit` such records of `kinds` (None: of every kind), least recently written first."""

    @abstractmethod
    async def mark_relayed(self, record: OutboxRecord) -> None:
        """Every change of `record` at `version` is in the feed; a later write marks it pending again."""

    @abstractmethod
    async def mark_all_relayed(self, records: Sequence[OutboxRecord]) -> None:
        """`mark_relayed` every record, in one store command."""


class Broadcaster(Protocol):
    @abstractmethod
    async def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        """Deliver `data` as an update to every client subscribed to `topic`; never raises for lack of listeners."""
