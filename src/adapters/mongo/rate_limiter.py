from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.errors import ConcurrentUpdateError
from domain.ports import RateLimiter

_COLLECTION = "rate_limits"
_ROUNDS = 5


class MongoRateLimiter(RateLimiter):
    """Fixed windows: one document per (key, window start), so every process counts in the same place.

    The first use of a window inserts its document (`_id` is unique, so one insert wins), every other one `$inc`s
    it: each a single-document atomic operation. A TTL index on `expires_at` removes past windows. The document is
    inserted whole, because nx-27017 (the embedded store) keeps a datetime given to `$set` as a string.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._windows = database[_COLLECTION]

    @translates_store_errors
    async def try_acquire(self, key: str, limit: int, window: timedelta, now: datetime) -> timedelta | None:
        length = window.total_seconds()
        started = int(now.timestamp() // length * length)
        ends = datetime.fromtimestamp(started, UTC) + window
        window_id = f"{key}@{started}"
        for _ in range(_ROUNDS):
            try:
                await self._windows.insert_one({"_id": window_id, "key": key, "count": 1, "expires_at": ends})
            except DuplicateKeyError:
                counted = await self._windows.find_one_and_update(
                    {"_id": window_id}, {"$inc": {"count": 1}}, return_document=ReturnDocument.AFTER
                )
                if counted is None:
                    continue  # expired and removed between the two calls: this use opens the window again
                count = int(counted["count"])
            else:
                count = 1
            return None if count <= limit else ends - now
        raise ConcurrentUpdateError(f"rate-limit window {window_id} kept disappearing")
