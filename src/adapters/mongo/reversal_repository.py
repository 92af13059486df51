from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.reversal_document import COLLECTION, from_stored, to_document
from adapters.mongo.store_errors import translates_store_errors
from domain.reversals.errors import ReversalAlreadyRequestedError
from domain.reversals.ports import Reversals
from domain.reversals.reversal import Reversal, ReversalStatus
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.resume_cursor import epoch_ms

# Candidates read per round of `claim_next`, and rounds before giving up until the worker's next poll.
_CANDIDATES = 8
_ROUNDS = 10
_OLDEST_FIRST = [("created_ms", ASCENDING), ("reversal_id", ASCENDING)]
_CHECK_ORDER = [("next_check_ms", ASCENDING), ("reversal_id", ASCENDING)]
_AT_DARAJA = [ReversalStatus.SENT.value, ReversalStatus.UNKNOWN.value]


class MongoReversals(Reversals):
    """Reversals in MongoDB, which are also the worker's queue; every change is conditional on the version read."""

    def __init__(self, database: MongoDatabase, written: Callable[[], None] | None = None) -> None:
        """`written` is told after every stored change: a reversal's changes are published on no topic, so this is
        how the event relay learns at once that its events wait in the outbox."""
        self._collection = database[COLLECTION]
        self._written = written

    @translates_store_errors
    async def add(self, reversal: Reversal) -> None:
        try:
            await self._collection.insert_one(to_document(reversal, reversal.version))
        except DuplicateKeyError as taken:
            raise ReversalAlreadyRequestedError(reversal.receipt) from taken
        self._tell_written()

    @translates_store_errors
    async def save(self, reversal: Reversal) -> None:
        if not await self._replace(reversal, reversal.version):
            raise ConcurrentUpdateError(f"reversal {reversal.id} changed since version {reversal.version} was read")
        reversal.version += 1
        self._tell_written()

    def _tell_written(self) -> None:
        if self._written is not None:
            self._written()

    @translates_store_errors
    async def by_id(self, reversal_id: str) -> Reversal | None:
        stored = await self._collection.find_one(equal_to({"reversal_id": reversal_id}))
        return None if stored is None else from_stored(stored)

    @translates_store_errors
    async def by_callback_token(self, token: str) -> Reversal | None:
        stored = await self._collection.find_one(equal_to({"callback_token": token}))
        return None if stored is None else from_stored(stored)

    @translates_store_errors
    async def claim_next(self, worker: str, now: datetime, lease_until: datetime) -> Reversal | None:
        # The oldest requested reversals are read and each free one is replaced whole on condition of the version
        # read: one atomic compare-and-set per document, so of two workers racing for one exactly one wins. The
        # lease is compared here rather than in the filter, which keeps the query a single equality.
        for _ in range(_ROUNDS):
            candidates = await self._find(equal_to({"status": ReversalStatus.REQUESTED.value}), _CANDIDATES)
            free = [c for c in candidates if c.lease_expires_at is None or epoch_ms(c.lease_expires_at) < epoch_ms(now)]
            if not free:
                return None
            for candidate in free:
                leased = replace(candidate, lease_owner=worker, lease_expires_at=lease_until)
                if await self._replace(leased, candidate.version):
                    return from_stored(to_document(leased, candidate.version + 1))
        return None

    @translates_store_errors
    async def due_for_check(self, now: datetime, limit: int) -> list[Reversal]:
        # Only a reversal Daraja named has a next check (domain.reversals.reversal).
        due = {"status": {"$in": _AT_DARAJA}, "next_check_ms": {"$lte": epoch_ms(now)}}
        return await self._find(due, limit, _CHECK_ORDER)

    @translates_store_errors
    async def by_status_query(self, token_digest: str) -> Reversal | None:
        stored = await self._collection.find_one(equal_to({"status_query_digest": token_digest}))
        return None if stored is None else from_stored(stored)

    async def _find(
        self, condition: dict[str, Any], limit: int, sort: list[tuple[str, int]] = _OLDEST_FIRST
    ) -> list[Reversal]:
        if limit <= 0:
            return []
        cursor = self._collection.find(condition, sort=sort, limit=limit)
        return [from_stored(stored) async for stored in cursor]

    async def _replace(self, reversal: Reversal, read_version: int) -> bool:
        """Replace the whole document if it is still at `read_version`; MongoDB keeps `_id` either way."""
        replaced = await self._collection.find_one_and_replace(
            equal_to({"reversal_id": reversal.id, "version": read_version}),
            to_document(reversal, read_version + 1),
            projection={"_id": True},
        )
        return replaced is not None
