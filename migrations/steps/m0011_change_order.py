from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 11
NAME = "change_order"

# A migration is history: it names the collections and fields as they were then, not as the adapters may later.
_ORDERED = (("stk_payments", "payment_id"), ("b2c_withdrawals", "withdrawal_id"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Passes over the documents still without the field: a record an older instance rewrote meanwhile (a rolling
# upgrade) lost it again and is taken on the next pass.
_PASSES = 5


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # The catch-up reads a hash's records in the order (updated_ms, id) after a client's cursor: `updated_at` as
    # an integer of milliseconds, which every store compares exactly (nx-27017 compares dates to the whole second).
    for collection_name, id_field in _ORDERED:
        collection = database[collection_name]
        await collection.create_index([("hash", ASCENDING), ("updated_ms", ASCENDING), (id_field, ASCENDING)])
        for _ in range(_PASSES):
            if not await _fill_in(collection):
                break


async def _fill_in(collection: AsyncCollection[dict[str, Any]]) -> int:
    """Give `updated_ms` to the documents without it; how many there were."""
    filled = 0
    async for stored in collection.find({"updated_ms": {"$exists": False}}, projection=["version", "updated_at"]):
        # `$set` of an integer is stored as an integer on nx-27017 (only datetimes turn into strings). On the
        # version read: a record changed meanwhile was given the field by the code that changed it.
        await collection.update_one(
            {"_id": stored["_id"], "version": stored.get("version")},
            {"$set": {"updated_ms": _epoch_ms(stored["updated_at"])}},
        )
        filled += 1
    return filled


def _epoch_ms(moment: datetime) -> int:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return (aware - _EPOCH) // timedelta(milliseconds=1)
