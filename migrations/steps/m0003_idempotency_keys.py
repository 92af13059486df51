from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 3
NAME = "idempotency_keys"

# A migration is history: it names the collection as it was then, not as the adapter may name it later.
_COLLECTION = "idempotency_keys"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    keys = database[_COLLECTION]
    # The first claim of a key inserts its document; every later one collides here.
    await keys.create_index([("scope", ASCENDING), ("hash", ASCENDING), ("key", ASCENDING)], unique=True)
    # Each document carries its own expiry, so the index expires it at that moment (give or take the TTL monitor).
    await keys.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
