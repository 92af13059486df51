from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from adapters.mongo.c2b_request_document import COLLECTION, from_document, to_document
from adapters.mongo.change_order import read_in_change_order
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.c2b.errors import ReferenceTakenError
from domain.c2b.payment_request import PaymentRequest, RequestStatus
from domain.c2b.ports import PaymentRequests
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.resume_cursor import ResumeCursor, epoch_ms

_OPEN = RequestStatus.OPEN.value


class MongoPaymentRequests(PaymentRequests):
    """C2B payment requests in MongoDB; every change is a replace conditional on the version that was read."""

    def __init__(self, database: MongoDatabase) -> None:
        self._collection = database[COLLECTION]

    @translates_store_errors
    async def add(self, request: PaymentRequest) -> None:
        # insert_one, not find_one_and_update: the embedded store's find_one_and_update swallows a unique-index
        # refusal, and the open-reference index is what refuses a second open request for the same account.
        try:
            await self._collection.insert_one(to_document(request))
        except DuplicateKeyError:
            raise ReferenceTakenError() from None

    @translates_store_errors
    async def by_reference(self, reference: str) -> PaymentRequest | None:
        # Newest first: while a request is open no other can be created for its reference, so it is the newest.
        stored = await self._collection.find_one(equal_to({"reference": reference}), sort=[("created_ms", DESCENDING)])
        return None if stored is None else from_document(stored)

    @translates_store_errors
    async def by_id(self, subject: str, request_id: str) -> PaymentRequest | None:
        stored = await self._collection.find_one(equal_to({"request_id": request_id}))
        return None if stored is None or stored["hash"] != subject else from_document(stored)

    @translates_store_errors
    async def save(self, request: PaymentRequest) -> None:
        read_version = request.version
        try:
            replaced = await self._collection.find_one_and_replace(
                equal_to({"request_id": request.id, "version": read_version}),
                to_document(request, read_version + 1),
                projection={"_id": True},
            )
        except DuplicateKeyError:
            # A request reopened by a reversal whose account reference a newer open request took meanwhile (the
            # embedded store leaves such a replace undone without an error; MongoDB raises): read it again.
            replaced = None
        if replaced is None:
            raise ConcurrentUpdateError(f"payment request {request.id} changed since version {read_version} was read")
        request.version = read_version + 1

    @translates_store_errors
    async def open_on(self, subject: str, limit: int) -> list[PaymentRequest]:
        wanted = equal_to({"hash": subject, "status": _OPEN})
        cursor = self._collection.find(wanted, sort=[("updated_ms", DESCENDING)], limit=limit)
        return [from_document(stored) async for stored in cursor]

    @translates_store_errors
    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[PaymentRequest]:
        return await read_in_change_order(self._find, equal_to({"hash": subject}), "request_id", after, None, limit)

    async def _find(self, condition: dict[str, Any], sort: list[tuple[str, int]], limit: int) -> list[PaymentRequest]:
        if limit <= 0:
            return []
        return [from_document(stored) async for stored in self._collection.find(condition, sort=sort, limit=limit)]

    @translates_store_errors
    async def due_to_expire(self, expired_before: datetime, limit: int) -> list[PaymentRequest]:
        due: dict[str, Any] = {"status": {"$eq": _OPEN}, "expires_ms": {"$lt": epoch_ms(expired_before)}}
        cursor = self._collection.find(due, sort=[("expires_ms", ASCENDING)], limit=limit)
        return [from_document(stored) async for stored in cursor]
