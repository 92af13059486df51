from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 1
NAME = "stk_payment_indexes"

# A migration is history: it names the collection as it was then, not as the adapter may name it later.
_COLLECTION = "stk_payments"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    payments = database[_COLLECTION]
    await payments.create_index([("payment_id", ASCENDING)], unique=True)
    await payments.create_index([("callback_token", ASCENDING)], unique=True)
    # The CheckoutRequestID is unknown until Daraja answers, so it is stored as null until then. `$type: string`
    # leaves those nulls out of the index; `$exists: true` alone would not (null exists), and a second payment
    # still waiting for Daraja would collide with the first. (nx-27017 ignores the filter; its nulls never collide.)
    await payments.create_index(
        [("checkout", ASCENDING)], unique=True, partialFilterExpression={"checkout": {"$type": "string"}}
    )
    await payments.create_index([("hash", ASCENDING), ("created_at", ASCENDING)])
    await payments.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])
