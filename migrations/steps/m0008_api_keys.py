from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 8
NAME = "api_keys"

# A migration is history: it names the collections as they were then, not as the adapters may name them later.
_API_KEYS = "api_keys"
_PAYMENTS = "stk_payments"
_WITHDRAWALS = "b2c_withdrawals"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # Server credentials, looked up by the id every presented key carries.
    await database[_API_KEYS].create_index([("key_id", ASCENDING)], unique=True)
    # The read API lists every hash's records newest first (one hash's use the (hash, created_at) indexes of steps
    # 1 and 2).
    for collection in (database[_PAYMENTS], database[_WITHDRAWALS]):
        await collection.create_index([("created_at", ASCENDING)])
