from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 14
NAME = "c2b_collections"

# A migration is history: it names the collections and fields as they were then, not as the adapters may later.
_REQUESTS = "c2b_requests"
_PAYMENTS = "c2b_payments"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    requests = database[_REQUESTS]
    await requests.create_index([("request_id", ASCENDING)], unique=True)
    # One open request per account reference: the field exists only while the request is open (removed, never
    # nulled, when it closes), the one form of partial filter nx-27017 honours.
    await requests.create_index(
        [("open_reference", ASCENDING)], unique=True, partialFilterExpression={"open_reference": {"$exists": True}}
    )
    await requests.create_index([("reference", ASCENDING), ("created_ms", DESCENDING)])
    await requests.create_index([("status", ASCENDING), ("expires_ms", ASCENDING)])
    await requests.create_index([("hash", ASCENDING), ("updated_ms", ASCENDING), ("request_id", ASCENDING)])
    payments = database[_PAYMENTS]
    # A confirmation is stored once per M-PESA receipt, however often it is delivered.
    await payments.create_index([("trans_id", ASCENDING)], unique=True)
    await payments.create_index([("reference", ASCENDING), ("received_ms", DESCENDING)])
    await payments.create_index([("payer", ASCENDING), ("received_ms", DESCENDING)])
    await payments.create_index([("match", ASCENDING), ("received_ms", DESCENDING)])
