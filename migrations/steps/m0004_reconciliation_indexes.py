from datetime import timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 4
NAME = "reconciliation_indexes"

# A migration is history: it names the collections, states and delays as they were then, not as the code may later.
_PAYMENTS = "stk_payments"
_WITHDRAWALS = "b2c_withdrawals"
_STK_FIRST_CHECK_AFTER = timedelta(seconds=30)
_B2C_FIRST_CHECK_AFTER = timedelta(seconds=60)


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    payments, withdrawals = database[_PAYMENTS], database[_WITHDRAWALS]
    # The reconcilers' scans (`due_for_check`) and the operator's list of records open too long (`stuck`).
    await payments.create_index([("status", ASCENDING), ("next_check_at", ASCENDING)])
    await payments.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
    await withdrawals.create_index([("status", ASCENDING), ("next_check_at", ASCENDING)])
    # Records left open by the code before reconciliation get their first check, so nothing waits forever.
    await _schedule_unscheduled(
        payments, {"status": "pending", "checkout": {"$ne": None}}, "created_at", _STK_FIRST_CHECK_AFTER
    )
    await _schedule_unscheduled(
        withdrawals, {"status": {"$in": ["submitted", "timeout"]}}, "updated_at", _B2C_FIRST_CHECK_AFTER
    )


async def _schedule_unscheduled(
    collection: AsyncCollection[dict[str, Any]], still_open: dict[str, Any], since: str, delay: timedelta
) -> None:
    async for stored in collection.find(still_open):
        if stored.get("next_check_at") is not None:
            continue
        scheduled = {**stored, "next_check_at": stored[since] + delay, "check_attempts": 0}
        scheduled.setdefault("history", [])
        # Replaced whole, on condition of the version read: a `$set` datetime would be a string in nx-27017, and a
        # record that changed meanwhile was scheduled (or settled) by the code that changed it.
        await collection.replace_one({"_id": stored["_id"], "version": stored["version"]}, scheduled)
