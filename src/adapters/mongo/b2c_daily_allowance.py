from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.b2c.ports import DailyAllowance

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
    async def reserve(self, subject: str, day: str, amount: int, limit: int) -> bool:
        if amount > limit:
            return False
        within = {"hash": subject, "day": day, "total": {"$lte": limit - amount}}
        try:
            # One command whether or not the day has a document yet: the upsert creates it holding `amount` (the
            # range condition is not an equality, so it is not copied into the new document).
            await self._totals.update_one(within, {"$inc": {"total": amount}}, upsert=True)
        except DuplicateKeyError:
            # The (hash, day) document exists but the condition did not match it: the limit would be passed, or a
            # concurrent first reservation inserted the day between this upsert's query and its insert (MongoDB
            # does not retry an upsert whose filter is not only equalities). Only the plain conditional `$inc`
            # tells the two apart, and it can no longer insert.
            reserved = await self._totals.update_one(within, {"$inc": {"total": amount}})
            return reserved.matched_count == 1
        return True

    @translates_store_errors
    async def release(self, subject: str, day: str, amount: int) -> None:
        day_of = {"hash": subject, "day": day}
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
