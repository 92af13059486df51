from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from adapters.mongo.change_order import read_in_change_order, read_open_or_changed_after
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.stk_payment_document import PaymentDocument, from_stored, new_document, replacement_for
from adapters.mongo.stk_remembered_payments import RememberedPayments
from adapters.mongo.store_errors import translates_store_errors
from domain.shared.errors import ConcurrentUpdateError, PhoneHeldError
from domain.shared.resume_cursor import ResumeCursor, epoch_ms, from_epoch_ms
from domain.stk.payment import Payment
from domain.stk.ports import PaymentRepository
from domain.stk.result_codes import PaymentStatus

_PENDING = PaymentStatus.PENDING.value
# Rounds of `add` before it stops: each lost round means another push took, or a holder gave back, the phone.
_HOLD_ROUNDS = 10


class MongoPaymentRepository(PaymentRepository):
    """STK payments in MongoDB; every change is conditional on the version that was read.

    A store that cannot be reached raises StoreUnavailableError from every method.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._collection = database[PaymentDocument.__collection__]
        self._known = RememberedPayments()

    @translates_store_errors
    async def add(self, payment: Payment) -> None:
        document = new_document(payment)
        for _ in range(_HOLD_ROUNDS):
            try:
                await self._collection.insert_one(dict(document))
                self._known.stored(document)
                return
            except DuplicateKeyError:
                if not payment.holds_phone():
                    raise
            await self._free_phone_unless_held(payment)
        raise ConcurrentUpdateError(f"the phone of payment {payment.id} kept changing hands while it was stored")

    async def _free_phone_unless_held(self, payment: Payment) -> None:
        """After a duplicate key on the phone: PhoneHeldError if its holder's hold lasts; else the phone is freed
        (the holder's hold has passed), so the insert can be tried again."""
        msisdn = payment.phone.msisdn
        holder = await self._collection.find_one(
            equal_to({"prompt_phone": msisdn}), projection={"payment_id": True, "prompt_until_ms": True}
        )
        if holder is None:
            return  # freed since the insert
        held_until_ms = holder.get("prompt_until_ms") or 0
        if epoch_ms(payment.created_at) < held_until_ms:
            raise PhoneHeldError(from_epoch_ms(held_until_ms))
        # Conditional on the holder still holding it: of concurrent takers one frees it, then one insert wins.
        await self._collection.update_one(
            equal_to({"payment_id": holder["payment_id"], "prompt_phone": msisdn}), {"$unset": {"prompt_phone": ""}}
        )

    @translates_store_errors
    async def save(self, payment: Payment) -> None:
        # A conditional replace rather than `$set`: nx-27017 (the embedded store) stores a datetime given to
        # `$set` as a string, which range queries on `updated_at` would then miss. MongoDB keeps `_id` either way.
        read_version = payment.version
        replacement = replacement_for(payment, read_version + 1)
        try:
            replaced = await self._replace(payment.id, read_version, replacement)
        except DuplicateKeyError:
            replaced = None
        if replaced is None and "prompt_phone" in replacement:
            # Its hold passed and another payment took the phone over, so the replace broke the phone's unique
            # index (MongoDB raises; nx-27017 replaces nothing and says nothing): this one holds it no longer.
            del replacement["prompt_phone"]
            replaced = await self._replace(payment.id, read_version, replacement)
        if replaced is None:
            self._known.refused(payment.callback_token)
            raise ConcurrentUpdateError(f"payment {payment.id} changed since version {read_version} was read")
        payment.version = read_version + 1
        self._known.stored(replacement)

    async def _replace(self, payment_id: str, version: int, replacement: dict[str, Any]) -> dict[str, Any] | None:
        return await self._collection.find_one_and_replace(
            equal_to({"payment_id": payment_id, "version": version}), replacement, projection={"_id": True}
        )

    @translates_store_errors
    async def by_checkout(self, subject: str, checkout: str) -> Payment | None:
        # One unique field at a time, the hash checked here: the combined filter ran 50x slower on nx-27017 (an
        # unindexed fallback path), and each lookup alone is a unique-index hit on MongoDB too.
        for field in ("checkout", "payment_id"):
            stored = await self._collection.find_one(equal_to({field: checkout}))
            if stored is not None:
                return from_stored(stored) if stored["hash"] == subject else None
        return None

    @translates_store_errors
    async def by_callback_token(self, token: str) -> Payment | None:
        # Daraja's callback for a payment this process stored while open: as written then, unless that changed.
        known = self._known.by_callback_token(token)
        if known is not None:
            return known
        stored = await self._collection.find_one(equal_to({"callback_token": token}))
        return None if stored is None else from_stored(stored)

    @translates_store_errors
    async def due_for_check(self, now: datetime, limit: int) -> list[Payment]:
        # `next_check_at` is only ever set while a CheckoutRequestID is known; the `checkout` condition says so
        # anyway. nx-27017 compares dates to the whole second: a check may come up to a second late, never early.
        due = {"status": _PENDING, "checkout": {"$ne": None}, "next_check_at": {"$lte": now}}
        return await self._find(due, [("next_check_at", ASCENDING), ("payment_id", ASCENDING)], limit)

    @translates_store_errors
    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[Payment]:
        return await read_in_change_order(self._find, equal_to({"hash": subject}), "payment_id", after, None, limit)

    @translates_store_errors
    async def open_or_changed_after(self, subject: str, start: ResumeCursor, limit: int) -> list[Payment] | None:
        return await read_open_or_changed_after(
            self._find, subject, "payment_id", start, lambda payment: payment.status is PaymentStatus.PENDING, limit
        )

    @translates_store_errors
    async def open_between(self, subject: str, after: ResumeCursor, until: ResumeCursor, limit: int) -> list[Payment]:
        still_open = equal_to({"hash": subject, "status": _PENDING})
        return await read_in_change_order(self._find, still_open, "payment_id", after, until, limit)

    async def _find(self, condition: dict[str, Any], sort: list[tuple[str, int]], limit: int) -> list[Payment]:
        if limit <= 0:
            return []
        cursor = self._collection.find(condition, sort=sort, limit=limit)
        return [from_stored(stored) async for stored in cursor]
