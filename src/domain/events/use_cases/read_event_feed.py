"""The event feed as a backend reads it: the events after the last sequence number it has seen."""

from dataclasses import dataclass

from domain.events.event import Event
from domain.events.ports import EventLog
from domain.events.types import TypeFilter

MAXIMUM_PAGE = 500


@dataclass(frozen=True, slots=True)
class FeedPage:
    """`events` in sequence order; `next_after` is the number to ask after next (past events filtered out too)."""

    events: list[Event]
    next_after: int


class ReadEventFeed:
    def __init__(self, events: EventLog) -> None:
        self._events = events

    async def __call__(self, after: int, limit: int, types: TypeFilter) -> FeedPage:
        page = await self._events.after(after, min(limit, MAXIMUM_PAGE))
        wanted = [event for event in page if types.wants(event.type)]
        return FeedPage(wanted, page[-1].sequence if page else after)
