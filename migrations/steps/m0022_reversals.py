from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 22
NAME = "reversals"

# A migration is history: it names the collections and fields as they were then, not as the adapters may later.
_REVERSALS = "reversals"
_PAYMENTS = "stk_payments"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    reversals = database[_REVERSALS]
    await reversals.create_index([("reversal_id", ASCENDING)], unique=True)
    # The Result and queue time-out URLs end with the reversal's secret: each callback finds its reversal by it.
    await reversals.create_index([("callback_token", ASCENDING)], unique=True)
    # One live (not failed) reversal per receipt: the field exists only while the reversal is live (left out of the
    # document, never nulled, once it fails), the one form of partial filter nx-27017 honours.
    await reversals.create_index(
        [("live_receipt", ASCENDING)], unique=True, partialFilterExpression={"live_receipt": {"$exists": True}}
    )
    await reversals.create_index([("status", ASCENDING), ("created_ms", ASCENDING)])
    await reversals.create_index([("status", ASCENDING), ("next_check_ms", ASCENDING)])
    # A Transaction Status answer finds its reversal by the digest of the open query's secret, which exists only
    # while a query is open.
    await reversals.create_index(
        [("status_query_digest", ASCENDING)],
        unique=True,
        partialFilterExpression={"status_query_digest": {"$exists": True}},
    )
    await reversals.create_index([("events_pending", ASCENDING), ("updated_at", ASCENDING)])
    # A reversal names the payment by its M-PESA receipt.
    await database[_PAYMENTS].create_index([("receipt", ASCENDING)])
