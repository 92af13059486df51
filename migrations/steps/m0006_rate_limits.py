from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 6
NAME = "rate_limits"

# A migration is history: it names the collections as they were then, not as the adapters may name them later.
_WINDOWS = "rate_limits"
_PAYMENTS = "stk_payments"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # Each window document carries its end; the TTL index removes it then (give or take the TTL monitor).
    await database[_WINDOWS].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
    # "Is a prompt still pending on this phone?" is asked before every push.
    await database[_PAYMENTS].create_index([("phone", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)])
