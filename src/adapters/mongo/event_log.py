"""The event feed in MongoDB: the `events` collection, unique on `event_id` and on `sequence` (migration 9)."""

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.events.event import Event
from domain.events.ports import EventLog
from domain.shared.errors import ConcurrentUpdateError

_COLLECTION = "events"
# Rounds of `append` before giving up: each lost round means another relay numbered an event in between.
_ROUNDS = 20
# The newest event ids this process saw stored: a few minutes of a busy relay's output.
_REMEMBERED_EVENTS = 50_000


class MongoEventLog(EventLog):
    """Numbers are given by inserting at the last number plus one; the unique index on `sequence` refuses a second
    event at one number, so numbers are dense and each is stored only after the one before it (see RelayEvents).

    The relay re-offers a record's older events each time the record changes, so this log remembers what it has
    seen stored (events are never deleted, so that stays true) and the last number it gave: the common append is
    one insert, not a look-up, a read of the last number and an insert. A remembered number that another relay has
    since used only costs a refused insert and a fresh read; an unused one is still the last, because numbers are
    dense.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._events = database[_COLLECTION]
        self._stored: OrderedDict[str, None] = OrderedDict()
        self._last_given: int | None = None

    @translates_store_errors
    async def append(self, event: Event) -> bool:
        if event.id in self._stored:
            return False
        for _ in range(_ROUNDS):
            last = self._last_given if self._last_given is not None else await self._last()
            try:
                await self._events.insert_one(_document(event, last + 1))
            except DuplicateKeyError:
                # That number was given meanwhile, or this very event is stored already: tell which.
                self._last_given = None
                if await self._events.find_one(equal_to({"event_id": event.id}), projection={"_id": True}):
                    self._remember(event.id)
                    return False
                continue
            self._last_given = max(last + 1, self._last_given or 0)
            self._remember(event.id)
            return True
        raise ConcurrentUpdateError(f"event {event.id} could not be numbered: the feed keeps moving")

    @translates_store_errors
    async def append_all(self, events: Sequence[Event]) -> int:
        # One ordered `insert_many` at the next free numbers: the store inserts in order and stops at the first
        # document a unique index refuses (a number given meanwhile, or an event stored already), so what it stored
        # is a dense prefix. The rest is sorted out as `append` does, then tried again as a batch.
        fresh = list({event.id: event for event in events if event.id not in self._stored}.values())
        added = 0
        for _ in range(_ROUNDS):
            if not fresh:
                return added
            last = self._last_given if self._last_given is not None else await self._last()
            documents = [_document(event, last + 1 + offset) for offset, event in enumerate(fresh)]
            try:
                await self._events.insert_many(documents, ordered=True)
            except BulkWriteError as error:
                stored = int(error.details.get("nInserted", 0))
                for event in fresh[:stored]:
                    self._remember(event.id)
                added += stored
                fresh = fresh[stored:]
                self._last_given = None
                known = self._events.find(
                    {"event_id": {"$in": [event.id for event in fresh]}}, projection={"event_id": True}
                )
                already = {stored_event["event_id"] async for stored_event in known}
                for event_id in already:
                    self._remember(event_id)
                fresh = [event for event in fresh if event.id not in already]
                continue
            self._last_given = max(last + len(fresh), self._last_given or 0)
            for event in fresh:
                self._remember(event.id)
            return added + len(fresh)
        raise ConcurrentUpdateError(f"{len(fresh)} events could not be numbered: the feed keeps moving")

    def _remember(self, event_id: str) -> None:
        self._stored[event_id] = None
        if len(self._stored) > _REMEMBERED_EVENTS:
            self._stored.popitem(last=False)

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
