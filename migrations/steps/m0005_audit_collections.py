from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 5
NAME = "audit_collections"

# A migration is history: it names the collections as they were then, not as the adapters may name them later.
_JOURNAL = "callback_journal"
_ANOMALIES = "anomalies"
_WITHDRAWALS = "b2c_withdrawals"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # Ascending only: MongoDB walks an index either way for "newest first" (after an equality on `kind`, too).
    journal = database[_JOURNAL]
    await journal.create_index([("received_at", ASCENDING)])
    # Every callback that came to one URL: the SHA-256 of the payment's or withdrawal's callback token.
    await journal.create_index([("path_token_hash", ASCENDING), ("received_at", ASCENDING)])
    anomalies = database[_ANOMALIES]
    await anomalies.create_index([("at", ASCENDING)])
    await anomalies.create_index([("kind", ASCENDING), ("at", ASCENDING)])
    # The operator's stuck listing: withdrawals in a waiting state, unchanged the longest. (stk_payments has had its
    # (status, updated_at) index since step 1.)
    await database[_WITHDRAWALS].create_index([("status", ASCENDING), ("updated_at", ASCENDING)])
