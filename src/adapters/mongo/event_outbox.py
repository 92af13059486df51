"""The outbox is embedded in the records themselves: `events_pending`, set by every write of a payment,
withdrawal, account balance or reversal (in the same single-document write as its new history entries), cleared by
the relay."""

from collections.abc import Callable, Sequence
from typing import Any

from pymongo import ASCENDING, UpdateOne

from adapters.mongo import balances, payment_document, reversal_document, withdrawal_document
from adapters.mongo.client import MongoCollection, MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.event_types import B2C, BALANCE, REVERSAL, STK
from domain.ports.event_outbox import EventOutbox, OutboxRecord
from domain.status_change import StatusChange

_Load = Callable[[dict[str, Any]], OutboxRecord]


def _payment(stored: dict[str, Any]) -> OutboxRecord:
    payment = payment_document.from_stored(stored)
    return OutboxRecord(STK, payment.id, payment.version, payment.history, payment.view())


def _reversal(stored: dict[str, Any]) -> OutboxRecord:
    reversal = reversal_document.from_stored(stored)
    return OutboxRecord(REVERSAL, reversal.id, reversal.version, reversal.history, reversal.view())


def _withdrawal(stored: dict[str, Any]) -> OutboxRecord:
    withdrawal = withdrawal_document.from_stored(stored)
    return OutboxRecord(B2C, withdrawal.id, withdrawal.version, withdrawal.history, withdrawal.view())


class MongoEventOutbox(EventOutbox):
    def __init__(self, database: MongoDatabase) -> None:
        # kind: (collection, id field, loader)
        self._sources: dict[str, tuple[MongoCollection, str, _Load]] = {
            STK: (database[payment_document.PaymentDocument.__collection__], "payment_id", _payment),
            B2C: (
                database[withdrawal_document.WithdrawalDocument.__collection__],
                "withdrawal_id",
                _withdrawal,
            ),
            BALANCE: (database[balances.ACCOUNTS_COLLECTION], "account", balances.outbox_record),
            REVERSAL: (database[reversal_document.COLLECTION], "reversal_id", _reversal),
        }

    @translates_store_errors
    async def pending(self, limit: int) -> list[OutboxRecord]:
        if limit <= 0:
            return []
        found: list[OutboxRecord] = []
        for collection, _, load in self._sources.values():
            cursor = collection.find(equal_to({"events_pending": True}), sort=[("updated_at", ASCENDING)], limit=limit)
            found.extend([load(stored) async for stored in cursor])
        found.sort(key=_last_change)
        return found[:limit]

    @translates_store_errors
    async def mark_relayed(self, record: OutboxRecord) -> None:
        collection, id_field, _ = self._sources[record.record_kind]
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
            _, id_field, _ = self._sources[record.record_kind]
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
