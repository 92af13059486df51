from typing import Any

from pymongo import DESCENDING

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.ports import Anomalies
from domain.callbacks.received_callback import CallbackKind

_COLLECTION = "anomalies"
# Newest first; `_id` breaks ties between anomalies of the same instant (nx-27017 compares dates to the second).
_NEWEST_FIRST = [("at", DESCENDING), ("_id", DESCENDING)]


class MongoAnomalyLog(Anomalies):
    """One document per anomaly, inserted whole and never changed."""

    def __init__(self, database: MongoDatabase) -> None:
        self._anomalies = database[_COLLECTION]

    @translates_store_errors
    async def record(self, anomaly: Anomaly) -> None:
        await self._anomalies.insert_one(_document(anomaly))

    @translates_store_errors
    async def recent(self, limit: int, kind: AnomalyKind | None = None) -> list[Anomaly]:
        query = {} if kind is None else {"kind": kind.value}
        cursor = self._anomalies.find(query, sort=_NEWEST_FIRST, limit=limit)
        return [_anomaly(stored) async for stored in cursor]


def _document(anomaly: Anomaly) -> dict[str, Any]:
    return {
        "kind": anomaly.kind.value,
        "severity": anomaly.severity.value,
        "callback": anomaly.callback.value,
        "reason": anomaly.reason,
        "at": as_utc(anomaly.at),
        "journal_id": anomaly.journal_id,
        "payment_id": anomaly.payment_id,
        "withdrawal_id": anomaly.withdrawal_id,
        "checkout": anomaly.checkout,
        "merchant_request": anomaly.merchant_request,
        "originator_conversation_id": anomaly.originator_conversation_id,
        "conversation_id": anomaly.conversation_id,
        "result_code": anomaly.result_code,
        "stored_status": anomaly.stored_status,
        "stored_result_code": anomaly.stored_result_code,
    }


def _anomaly(stored: dict[str, Any]) -> Anomaly:
    return Anomaly(
        kind=AnomalyKind(stored["kind"]),
        callback=CallbackKind(stored["callback"]),
        reason=stored["reason"],
        at=as_utc(stored["at"]),
        journal_id=stored.get("journal_id"),
        payment_id=stored.get("payment_id"),
        withdrawal_id=stored.get("withdrawal_id"),
        checkout=stored.get("checkout"),
        merchant_request=stored.get("merchant_request"),
        originator_conversation_id=stored.get("originator_conversation_id"),
        conversation_id=stored.get("conversation_id"),
        result_code=stored.get("result_code"),
        stored_status=stored.get("stored_status"),
        stored_result_code=stored.get("stored_result_code"),
    )
