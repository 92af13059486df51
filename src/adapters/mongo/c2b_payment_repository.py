"""C2B payments as stored: one document per M-PESA receipt (TransID, unique since migration m0014).

Inserted once; the only later write is the link to the reversal that refunded it, conditional on the version read."""

from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from adapters.mongo.c2b_request_document import from_ms
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.c2b.confirmation import C2bPayment, C2bTransaction, PaymentMatch
from domain.c2b.payer import Payer
from domain.c2b.ports import C2bPayments
from domain.events.ports import OutboxRecord
from domain.events.types import C2B_PAYMENT
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.resume_cursor import epoch_ms

COLLECTION = "c2b_payments"


class MongoC2bPayments(C2bPayments):
    def __init__(self, database: MongoDatabase) -> None:
        self._collection = database[COLLECTION]

    @translates_store_errors
    async def record(self, payment: C2bPayment) -> bool:
        try:
            await self._collection.insert_one(_to_document(payment))
        except DuplicateKeyError:
            return False
        return True

    @translates_store_errors
    async def by_trans_id(self, trans_id: str) -> C2bPayment | None:
        stored = await self._collection.find_one(equal_to({"trans_id": trans_id}))
        return None if stored is None else _from_document(stored)

    @translates_store_errors
    async def save(self, payment: C2bPayment) -> None:
        """Store its reversal link if nobody changed it since it was read; ConcurrentUpdateError otherwise."""
        read_version = payment.version
        changed = await self._collection.find_one_and_update(
            equal_to({"trans_id": payment.trans_id, "version": read_version}),
            {
                "$set": {
                    "reversal_id": payment.reversal_id,
                    "reversed_ms": None if payment.reversed_at is None else epoch_ms(payment.reversed_at),
                    "version": read_version + 1,
                    "events_pending": True,
                }
            },
            projection={"_id": True},
        )
        if changed is None:
            raise ConcurrentUpdateError(f"C2B payment {payment.trans_id} changed since version {read_version}")
        payment.version = read_version + 1

    @translates_store_errors
    async def by_reference(self, reference: str, limit: int) -> list[C2bPayment]:
        return await self._newest(equal_to({"reference": reference}), limit)

    @translates_store_errors
    async def by_payer(self, payer_forms: list[str], limit: int) -> list[C2bPayment]:
        # One equality query per form (each an index hit): `$in` is an unindexed OR on nx-27017.
        found = [payment for form in payer_forms for payment in await self._newest(equal_to({"payer": form}), limit)]
        found.sort(key=lambda payment: (payment.received_at, payment.trans_id), reverse=True)
        return found[:limit]

    async def _newest(self, condition: dict[str, Any], limit: int) -> list[C2bPayment]:
        if limit <= 0:
            return []
        cursor = self._collection.find(condition, sort=[("received_ms", DESCENDING)], limit=limit)
        return [_from_document(stored) async for stored in cursor]


def outbox_record(stored: dict[str, Any]) -> OutboxRecord:
    """A payment's arrival, for the event relay (adapters.mongo.event_outbox)."""
    payment = _from_document(stored)
    return OutboxRecord(C2B_PAYMENT, payment.trans_id, payment.version, payment.history, payment.view())


def _to_document(payment: C2bPayment) -> dict[str, Any]:
    t = payment.transaction
    return {
        "trans_id": t.trans_id,
        "amount": t.amount,
        "shortcode": t.shortcode,
        "bill_reference": t.bill_reference,
        "reference": t.reference,
        "payer": t.payer.msisdn,
        "payer_form": t.payer.form.value,
        "trans_time": t.trans_time,
        "transaction_type": t.transaction_type,
        "first_name": t.first_name,
        "org_account_balance": t.org_account_balance,
        "third_party_trans_id": t.third_party_trans_id,
        "received_ms": epoch_ms(payment.received_at),
        "match": payment.match.value,
        "request_id": payment.request_id,
        "hash": payment.subject,
        "source": payment.source,
        # Changed at most once after this insert (a reversal's link, by `save`), which bumps the version.
        "version": payment.version,
        "events_pending": True,
    }


def _from_document(stored: dict[str, Any]) -> C2bPayment:
    transaction = C2bTransaction(
        trans_id=stored["trans_id"],
        amount=stored["amount"],
        shortcode=stored["shortcode"],
        bill_reference=stored["bill_reference"],
        payer=Payer(stored["payer"]),
        trans_time=stored["trans_time"],
        transaction_type=stored["transaction_type"],
        first_name=stored["first_name"],
        org_account_balance=stored["org_account_balance"],
        third_party_trans_id=stored["third_party_trans_id"],
    )
    return C2bPayment(
        transaction,
        from_ms(stored["received_ms"]),
        PaymentMatch(stored["match"]),
        request_id=stored["request_id"],
        subject=stored["hash"],
        source=stored["source"],
        reversal_id=stored.get("reversal_id"),
        reversed_at=None if stored.get("reversed_ms") is None else from_ms(stored["reversed_ms"]),
        version=stored.get("version", 0),
    )
