from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 21
NAME = "prompt_holds_in_payments"

# A migration is history: it names the collections and fields as they were then, not as the adapters may later.
_PAYMENTS = "stk_payments"
_LOCKS = "stk_prompt_locks"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # "One open prompt per phone" moves from a lock document per phone into the payment that holds it: a field
    # present only while held, unique among the documents that have it (an `$exists` partial filter, which the
    # embedded store honours; it ignores equality filters). The push then costs its insert, not also a lock's
    # insert and delete.
    payments = database[_PAYMENTS]
    await payments.create_index(
        [("prompt_phone", ASCENDING)], unique=True, partialFilterExpression={"prompt_phone": {"$exists": True}}
    )
    now = datetime.now(UTC)
    async for lock in database[_LOCKS].find({}):
        expires_at = _utc(lock["expires_at"])
        if expires_at <= now:
            continue  # expired: it holds the phone no longer
        # Only a payment still open holds its phone; the lock of a payment since finished was about to go anyway.
        await payments.update_one(
            {"payment_id": lock["holder"], "status": "pending", "prompt_phone": {"$exists": False}},
            {"$set": {"prompt_phone": lock["_id"], "prompt_until_ms": _epoch_ms(expires_at)}},
        )
    await database.drop_collection(_LOCKS)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)
