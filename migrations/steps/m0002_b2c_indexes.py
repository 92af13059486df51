from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 2
NAME = "b2c_indexes"

# A migration is history: it names the collections as they were then, not as the adapters may name them later.
_WITHDRAWALS = "b2c_withdrawals"
_DAILY_TOTALS = "b2c_daily_totals"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    withdrawals = database[_WITHDRAWALS]
    await withdrawals.create_index([("withdrawal_id", ASCENDING)], unique=True)
    await withdrawals.create_index([("originator_conversation_id", ASCENDING)], unique=True)
    await withdrawals.create_index([("callback_token", ASCENDING)], unique=True)
    # Daraja's ConversationID is unknown until it accepts the request, so it is null until then. `$type: string`
    # leaves those nulls out of the index (`$exists` would not). nx-27017 ignores the filter; its nulls never collide.
    await withdrawals.create_index(
        [("conversation_id", ASCENDING)], unique=True, partialFilterExpression={"conversation_id": {"$type": "string"}}
    )
    # The queue scan of `claim_next`: queued withdrawals, oldest first.
    await withdrawals.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
    await withdrawals.create_index([("hash", ASCENDING), ("created_at", ASCENDING)])
    await database[_DAILY_TOTALS].create_index([("hash", ASCENDING), ("day", ASCENDING)], unique=True)
