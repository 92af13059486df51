from contextlib import suppress

from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.ports import DailyAllowance

_COLLECTION = "b2c_daily_totals"
# Rounds of `release` before it stops: each lost round means a concurrent reservation raised the total.
_RELEASE_ROUNDS = 10


class MongoDailyAllowance(DailyAllowance):
    """One document per (hash, day) holding the shillings reserved so far, changed only by conditional `$inc`.

    The condition and the increment are one single-document operation, so concurrent reservations, in one process
    or several, can never pass the limit together; no transaction is needed.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._totals = database[_COLLECTION]

    @translates_store_errors
    async def reserve(self, hash_: str, day: str, amount: int, limit: int) -> bool:
        if await self._add_within(hash_, day, amount, limit):
            return True
        # Either the limit is reached or the day has no document yet: create it (at 0) and ask once more.
        await self._ensure_day(hash_, day)
        return await self._add_within(hash_, day, amount, limit)

    @translates_store_errors
    async def release(self, hash_: str, day: str, amount: int) -> None:
        day_of = {"hash": hash_, "day": day}
        for _ in range(_RELEASE_ROUNDS):
            given_back = await self._totals.update_one(
                {**day_of, "total": {"$gte": amount}}, {"$inc": {"total": -amount}}
            )
            if given_back.matched_count:
                return
            # Less than `amount` is reserved (or no document): never go below nothing.
            emptied = await self._totals.update_one({**day_of, "total": {"$lt": amount}}, {"$set": {"total": 0}})
            if emptied.matched_count or await self._totals.find_one(day_of, {"_id": True}) is None:
                return

    async def _add_within(self, hash_: str, day: str, amount: int, limit: int) -> bool:
        reserved = await self._totals.update_one(
            {"hash": hash_, "day": day, "total": {"$lte": limit - amount}}, {"$inc": {"total": amount}}
        )
        return reserved.matched_count == 1

    async def _ensure_day(self, hash_: str, day: str) -> None:
        # A racing reservation may insert it between this upsert's query and its insert: it exists, which is all
        # this needs.
        with suppress(DuplicateKeyError):
            await self._totals.update_one({"hash": hash_, "day": day}, {"$setOnInsert": {"total": 0}}, upsert=True)
