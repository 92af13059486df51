"""The read API's searches over stored payments and withdrawals, one collection per kind."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import DESCENDING

from adapters.mongo import b2c_withdrawal_document, stk_payment_document
from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.b2c.withdrawal import Withdrawal
from domain.records.listing import ListedRecord, PagePosition, RecordFilter, RecordKind
from domain.records.ports import RecordSearch
from domain.stk.payment import Payment


@dataclass(frozen=True, slots=True)
class _Shape:
    collection: str
    id_field: str
    from_stored: Callable[[dict[str, Any]], Payment | Withdrawal]


_SHAPES = {
    RecordKind.STK: _Shape("stk_payments", "payment_id", stk_payment_document.from_stored),
    RecordKind.B2C: _Shape("b2c_withdrawals", "withdrawal_id", b2c_withdrawal_document.from_stored),
}


class MongoRecordSearch(RecordSearch):
    """nx-27017 compares dates only to the whole second, so the store is asked for a superset (bounds inclusive,
    which MongoDB applies exactly) and the exact (created_at, id) bounds are applied here, on the sorted stream:
    what is skipped is at most the records of the bounds' own seconds."""

    def __init__(self, database: MongoDatabase, kind: RecordKind) -> None:
        self._kind, self._shape = kind, _SHAPES[kind]
        self._records = database[self._shape.collection]

    @translates_store_errors
    async def by_id(self, record_id: str) -> ListedRecord | None:
        stored = await self._records.find_one({self._shape.id_field: record_id})
        return None if stored is None else ListedRecord(self._kind, self._shape.from_stored(stored))

    @translates_store_errors
    async def newest_first(self, where: RecordFilter, after: PagePosition | None, limit: int) -> list[ListedRecord]:
        if limit <= 0:
            return []
        sort = [("created_at", DESCENDING), (self._shape.id_field, DESCENDING)]
        cursor = self._records.find(_superset(where, after), sort=sort, batch_size=limit + 1)
        found: list[ListedRecord] = []
        try:
            async for stored in cursor:
                record = ListedRecord(self._kind, self._shape.from_stored(stored))
                if where.created_after is not None and record.record.created_at <= where.created_after:
                    break  # newest first: everything after this is older still
                if (after is None or record.position < after) and where.admits(record):
                    found.append(record)
                    if len(found) == limit:
                        break
        finally:
            await cursor.close()
        return found


def _superset(where: RecordFilter, after: PagePosition | None) -> dict[str, Any]:
    # Spelled out as $and (nx-27017 drops sibling conditions in some date filters).
    conditions: list[dict[str, Any]] = []
    if where.subject is not None:
        conditions.append({"hash": where.subject})
    if where.status is not None:
        conditions.append({"status": where.status})
    upper = [moment for moment in (where.created_before, after.created_at if after else None) if moment is not None]
    if upper:
        conditions.append({"created_at": {"$lte": as_utc(min(upper))}})
    if where.created_after is not None:
        conditions.append({"created_at": {"$gte": as_utc(where.created_after)}})
    return {"$and": conditions} if conditions else {}
