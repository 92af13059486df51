from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 17
NAME = "balances"

# A migration is history: it names the collections and fields as they were then, not as the adapters may later.
_CHECKS = "balance_checks"
_ACCOUNTS = "account_balances"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    checks = database[_CHECKS]
    await checks.create_index([("check_id", ASCENDING)], unique=True)
    # The Result and queue time-out URLs end with the check's secret: each callback finds its check by it.
    await checks.create_index([("callback_token", ASCENDING)], unique=True)
    await checks.create_index([("requested_ms", DESCENDING)])
    accounts = database[_ACCOUNTS]
    # One record per account name: two answers arriving together cannot both create it.
    await accounts.create_index([("account", ASCENDING)], unique=True)
    await accounts.create_index([("events_pending", ASCENDING), ("updated_at", ASCENDING)])
