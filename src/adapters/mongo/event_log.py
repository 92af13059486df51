"""The event feed in MongoDB: the `events` collection, unique on `event_id` and on `sequence` (migration 9)."""

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.errors import ConcurrentUpdateError
from domain.event import Event
from domain.ports.event_log import EventLog

_COLLECTION = "events"
# Rounds of `append` before giving up: each lost round means another relay numbered an event in between.
_ROUNDS = 20


class MongoEventLog(EventLog):
    """Numbers are given by inserting at the last number plus one; the unique index on `sequence` refuses a second
    event at one number, so numbers are dense and each is stored only after the one before it (see RelayEvents)."""

    def __init__(self, database: MongoDatabase) -> None:
        self._events = database[_COLLECTION]

    @translates_store_errors
    async def append(self, event: Event) -> bool:
        for _ in range(_ROUNDS):
            if await self._events.find_one({"event_id": event.id}, projection={"_id": True}) is not None:
                return False
            try:
                await self._events.insert_one(_document(event, await self._last() + 1))
            except DuplicateKeyError:
                continue  # that number, or this very event, was stored meanwhile: look again
            return True
        raise ConcurrentUpdateError(f"event {event.id} could not be numbered: the feed keeps moving")

    @translates_store_errors
    async def after(self, sequence: int, limit: int) -> list[Event]:
        if limit <= 0:
            return []
        cursor = self._events.find({"sequence": {"$gt": sequence}}, sort=[("sequence", ASCENDING)], limit=limit)
        events: list[Event] = []
        async for stored in cursor:
            # Dense numbers: a gap is an event being stored right now. Stop before it rather than skip it forever.
            if stored["sequence"] != sequence + len(events) + 1:
                break
            events.append(_event(stored))
        return events

    @translates_store_errors
    async def last_sequence(self) -> int:
        return await self._last()

    async def _last(self) -> int:
        newest = await self._events.find_one({}, sort=[("sequence", DESCENDING)], projection={"sequence": True})
        return 0 if newest is None else int(newest["sequence"])


def _document(event: Event, sequence: int) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "sequence": sequence,
        "type": event.type,
        "record_kind": event.record_kind,
        "record_id": event.record_id,
        "created": as_utc(event.created),
        "data": event.data,
    }


def _event(stored: dict[str, Any]) -> Event:
    return Event(
        id=stored["event_id"],
        type=stored["type"],
        record_kind=stored["record_kind"],
        record_id=stored["record_id"],
        created=as_utc(stored["created"]),
        data=stored["data"],
        sequence=stored["sequence"],
    )
