from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from domain.status_change import StatusChange


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A payment or withdrawal written since the relay last looked: its whole history, as that write stored it."""

    record_kind: str
    record_id: str
    version: int
    history: list[StatusChange]
    current_view: dict[str, Any]


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
