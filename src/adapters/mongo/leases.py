"""Named leases in the `leases` collection (one small document per name, unique on `name`).

Expiry is kept as integer epoch milliseconds, so a lease can be taken with one conditional `$set` (nx-27017 would
store a datetime given to `$set` as a string)."""

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.shared.ports import Leases

_COLLECTION = "leases"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class MongoLeases(Leases):
    def __init__(self, database: MongoDatabase) -> None:
        self._leases = database[_COLLECTION]

    @translates_store_errors
    async def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        takeable = {"$and": [{"name": name}, {"$or": [{"owner": owner}, {"until_ms": {"$lt": epoch_ms(now)}}]}]}
        taken = await self._leases.find_one_and_update(
            takeable, {"$set": {"owner": owner, "until_ms": epoch_ms(until)}}, projection={"_id": True}
        )
        if taken is not None:
            return True
        try:
            await self._leases.insert_one({"name": name, "owner": owner, "until_ms": epoch_ms(until)})
        except DuplicateKeyError:
            return False  # held by another, and not expired
        return True

    @translates_store_errors
    async def release(self, name: str, owner: str) -> None:
        await self._leases.update_one({"name": name, "owner": owner}, {"$set": {"until_ms": 0}})
