from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 9
NAME = "events_and_webhooks"

# A migration is history: it names the collections as they were then, not as the adapters may name them later.
_PAYMENTS = "stk_payments"
_WITHDRAWALS = "b2c_withdrawals"
_EVENTS = "events"
_LEASES = "leases"
_ENDPOINTS = "webhook_endpoints"
_REPLAYS = "webhook_replays"
_DELIVERIES = "webhook_deliveries"
_ATTEMPTS = "webhook_attempts"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # The feed: an event is stored once (its id is derived from its record's history), and each number once.
    await database[_EVENTS].create_index([("event_id", ASCENDING)], unique=True)
    await database[_EVENTS].create_index([("sequence", ASCENDING)], unique=True)
    # The relay's look for records written since it last ran.
    for records in (_PAYMENTS, _WITHDRAWALS):
        await database[records].create_index([("events_pending", ASCENDING), ("updated_at", ASCENDING)])
    await database[_LEASES].create_index([("name", ASCENDING)], unique=True)
    await database[_ENDPOINTS].create_index([("endpoint_id", ASCENDING)], unique=True)
    await database[_REPLAYS].create_index([("replay_id", ASCENDING)], unique=True)
    await database[_REPLAYS].create_index([("endpoint_id", ASCENDING), ("finished", ASCENDING)])
    await database[_DELIVERIES].create_index([("delivery_id", ASCENDING)], unique=True)
    await database[_DELIVERIES].create_index([("endpoint_id", ASCENDING), ("created_ms", DESCENDING)])
    await database[_ATTEMPTS].create_index([("delivery_id", ASCENDING), ("at_ms", ASCENDING)])
