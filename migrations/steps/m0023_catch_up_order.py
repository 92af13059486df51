from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 23
NAME = "catch_up_order"

# A migration is history: it names the collections, fields and statuses as they were then.
_RECORDS = (
    ("stk_payments", "payment_id", ("pending",)),
    ("b2c_withdrawals", "withdrawal_id", ("queued", "submitted", "timeout")),
)
# Later than any change's time: where a record not yet final is placed.
_STILL_OPEN_MS = 9_999_999_999_999
# Passes over the documents still without the field: one an older instance rewrote meanwhile (a rolling upgrade)
# lost it again and is taken on the next pass.
_PASSES = 5


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # A socket's catch-up reads, in one find, a hash's open records and those changed after a point: one equality
    # on the hash and one range on `catch_up_ms` (`updated_ms` once final, _STILL_OPEN_MS before).
    for collection_name, id_field, open_statuses in _RECORDS:
        collection = database[collection_name]
        await collection.create_index([("hash", ASCENDING), ("catch_up_ms", ASCENDING), (id_field, ASCENDING)])
        for _ in range(_PASSES):
            if not await _fill_in(collection, open_statuses):
                break


async def _fill_in(collection: AsyncCollection[dict[str, Any]], open_statuses: tuple[str, ...]) -> int:
    """Give `catch_up_ms` to the documents without it; how many there were."""
    filled = 0
    missing = collection.find({"catch_up_ms": {"$exists": False}}, projection=["version", "status", "updated_ms"])
    async for stored in missing:
        placed = _STILL_OPEN_MS if stored.get("status") in open_statuses else int(stored.get("updated_ms", 0))
        # On the version read: a record changed meanwhile was given the field by the code that changed it.
        await collection.update_one(
            {"_id": stored["_id"], "version": stored.get("version")}, {"$set": {"catch_up_ms": placed}}
        )
        filled += 1
    return filled
