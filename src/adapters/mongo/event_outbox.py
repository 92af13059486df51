"""The outbox is embedded in the records themselves: `events_pending`, set by every write of a payment,
withdrawal, account balance, C2B payment, C2B payment request or reversal (in the same single-document write as its
new history entries), cleared by the relay."""

from collections.abc import Callable, Sequence
from typing import Any

from pymongo import ASCENDING, UpdateOne

from adapters.mongo import (
    applied_callback_document,
    b2c_withdrawal_document,
    balances,
    c2b_payment_repository,
    c2b_request_document,
    reversal_document,
    stk_payment_document,
)
from adapters.mongo.client import MongoCollection, MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.events.ports import EventOutbox, OutboxRecord
from domain.events.types import B2C, BALANCE, C2B_PAYMENT, C2B_REQUEST, REVERSAL, STK
from domain.shared.status_change import StatusChange

_Load = Callable[[dict[str, Any]], OutboxRecord]
# An event carries the record's history and view, never the raw callback a payment or withdrawal keeps (its body
# and headers: 1.1 of a settled payment's 2.5 KB in BSON, with the bench's STK callback), which the store would
# send and the relay decode, base64 included, for nothing.
_WITHOUT_APPLIED_CALLBACK = {applied_callback_document.FIELD: False}


def _payment(stored: dict[str, Any]) -> OutboxRecord:
    payment = stk_payment_document.from_stored(stored)
    return OutboxRecord(STK, payment.id, payment.version, payment.history, payment.view())


def _reversal(stored: dict[str, Any]) -> OutboxRecord:
    reversal = reversal_document.from_stored(stored)
    return OutboxRecord(REVERSAL, reversal.id, reversal.version, reversal.history, reversal.view())


def _withdrawal(stored: dict[str, Any]) -> OutboxRecord:
    withdrawal = b2c_withdrawal_document.from_stored(stored)
    return OutboxRecord(B2C, withdrawal.id, withdrawal.version, withdrawal.history, withdrawal.view())


class MongoEventOutbox(EventOutbox):
    def __init__(self, database: MongoDatabase) -> None:
        # kind: (collection, id field, loader, the field the pending are read oldest first by)
        self._sources: dict[str, tuple[MongoCollection, str, _Load, str]] = {
            STK: (database[stk_payment_document.PaymentDocument.__collection__], "payment_id", _payment, "updated_at"),
            B2C: (
                database[b2c_withdrawal_document.WithdrawalDocument.__collection__],
                "withdrawal_id",
                _withdrawal,
                "updated_at",
            ),
            BALANCE: (database[balances.ACCOUNTS_COLLECTION], "account", balances.outbox_record, "updated_at"),
            # C2B documents keep times as epoch milliseconds (adapters.mongo.c2b_request_document).
            C2B_PAYMENT: (
                database[c2b_payment_repository.COLLECTION],
                "trans_id",
                c2b_payment_repository.outbox_record,
                "received_ms",
            ),
            C2B_REQUEST: (
                database[c2b_request_document.COLLECTION],
                "request_id",
                c2b_request_document.outbox_record,
                "updated_ms",
            ),
            REVERSAL: (database[reversal_document.COLLECTION], "reversal_id", _reversal, "updated_at"),
        }

    @translates_store_errors
    async def pending(self, limit: int, kinds: frozenset[str] | None = None) -> list[OutboxRecord]:
        if limit <= 0:
            return []
        found: list[OutboxRecord] = []
        for kind, (collection, _, load, order) in self._sources.items():
            if kinds is not None and kind not in kinds:
                continue
            cursor = collection.find(
                equal_to({"events_pending": True}), _WITHOUT_APPLIED_CALLBACK, sort=[(order, ASCENDING)], limit=limit
            )
            found.extend([load(stored) async for stored in cursor])
        found.sort(key=_last_change)
        return found[:limit]

    @translates_store_errors
    async def mark_relayed(self, record: OutboxRecord) -> None:
        collection, id_field, _, _ = self._sources[record.record_kind]
        # Only the version relayed: a write since then has new changes, and has set the mark again anyway. A
        # boolean `$set` without a version change, so no writer of the record is ever refused because of the relay.
        await collection.update_one(
            equal_to({id_field: record.record_id, "version": record.version}), {"$set": {"events_pending": False}}
        )

    @translates_store_errors
    async def mark_all_relayed(self, records: Sequence[OutboxRecord]) -> None:
        # One unordered bulk update per collection (each mark as `mark_relayed`'s): one command, not one a record.
        marks: dict[str, list[UpdateOne]] = {}
        for record in records:
            _, id_field, _, _ = self._sources[record.record_kind]
            marks.setdefault(record.record_kind, []).append(
                UpdateOne(
                    equal_to({id_field: record.record_id, "version": record.version}),
                    {"$set": {"events_pending": False}},
                )
            )
        for kind, updates in marks.items():
            await self._sources[kind][0].bulk_write(updates, ordered=False)


def _last_change(record: OutboxRecord) -> tuple[str, str]:
    latest: StatusChange | None = record.history[-1] if record.history else None
    return (latest.at.isoformat() if latest else "", record.record_id)
