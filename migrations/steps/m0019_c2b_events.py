from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 19
NAME = "c2b_events"

# A migration is history: it names the collections and fields as they were then, not as the adapters may later.
_REQUESTS = "c2b_requests"
_PAYMENTS = "c2b_payments"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # The event relay reads each collection's records marked pending, oldest first.
    await database[_PAYMENTS].create_index([("events_pending", ASCENDING), ("received_ms", ASCENDING)])
    await database[_REQUESTS].create_index([("events_pending", ASCENDING), ("updated_ms", ASCENDING)])
