from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol

from domain.event import Event


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
