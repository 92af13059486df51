from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from adapters.mongo.change_order import read_in_change_order
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.payment_document import (
    PaymentDocument,
    from_stored,
    replacement_for,
    to_document,
)
from adapters.mongo.store_errors import translates_store_errors
from domain.errors import ConcurrentUpdateError
from domain.payment import Payment
from domain.ports import PaymentRepository
from domain.result_codes import PaymentStatus
from domain.resume_cursor import ResumeCursor

_PENDING = PaymentStatus.PENDING.value


class MongoPaymentRepository(PaymentRepository):
    """STK payments in MongoDB; every change is conditional on the version that was read.

    A store that cannot be reached raises StoreUnavailableError from every method.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._collection = database[PaymentDocument.__collection__]

    @translates_store_errors
    async def add(self, payment: Payment) -> None:
        await self._collection.insert_one(to_document(payment).model_dump_doc())

    @translates_store_errors
    async def save(self, payment: Payment) -> None:
        # A conditional replace rather than `$set`: nx-27017 (the embedded store) stores a datetime given to
        # `$set` as a string, which range queries on `updated_at` would then miss. MongoDB keeps `_id` either way.
        read_version = payment.version
        replaced = await self._collection.find_one_and_replace(
            equal_to({"payment_id": payment.id, "version": read_version}),
            replacement_for(payment, read_version + 1),
            projection={"_id": True},
        )
        if replaced is None:
            raise ConcurrentUpdateError(f"payment {payment.id} changed since version {read_version} was read")
        payment.version = read_version + 1

    @translates_store_errors
    async def by_checkout(self, hash_: str, checkout: str) -> Payment | None:
        # One unique field at a time, the hash checked here: the combined filter ran 50x slower on nx-27017 (an
        # unindexed fallback path), and each lookup alone is a unique-index hit on MongoDB too.
        for field in ("checkout", "payment_id"):
            stored = await self._collection.find_one(equal_to({field: checkout}))
            if stored is not None:
                return from_stored(stored) if stored["hash"] == hash_ else None
        return None

    @translates_store_errors
    async def by_callback_token(self, token: str) -> Payment | None:
        stored = await self._collection.find_one(equal_to({"callback_token": token}))
        return None if stored is None else from_stored(stored)

    @translates_store_errors
    async def due_for_check(self, now: datetime, limit: int) -> list[Payment]:
        # `next_check_at` is only ever set while a CheckoutRequestID is known; the `checkout` condition says so
        # anyway. nx-27017 compares dates to the whole second: a check may come up to a second late, never early.
        due = {"status": _PENDING, "checkout": {"$ne": None}, "next_check_at": {"$lte": now}}
        return await self._find(due, [("next_check_at", ASCENDING), ("payment_id", ASCENDING)], limit)

    @translates_store_errors
    async def changed_after(self, hash_: str, after: ResumeCursor, limit: int) -> list[Payment]:
        return await read_in_change_order(self._find, equal_to({"hash": hash_}), "payment_id", after, None, limit)

    @translates_store_errors
    async def open_between(self, hash_: str, after: ResumeCursor, until: ResumeCursor, limit: int) -> list[Payment]:
        still_open = equal_to({"hash": hash_, "status": _PENDING})
        return await read_in_change_order(self._find, still_open, "payment_id", after, until, limit)

    async def _find(self, condition: dict[str, Any], sort: list[tuple[str, int]], limit: int) -> list[Payment]:
        if limit <= 0:
            return []
        cursor = self._collection.find(condition, sort=sort, limit=limit)
        return [from_stored(stored) async for stored in cursor]
