from typing import Any

from adapters.mongo.applied_callback_document import FIELD, applied_callback_of
from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.callbacks.ports import CallbackTrail
from domain.callbacks.received_callback import (
    CallbackDigest,
    CallbackKind,
    DigestReason,
    ReceivedCallback,
    token_digest,
)
from domain.callbacks.trail import KeptIn, TrailEntry, in_arrival_order

# The records whose callbacks fold into them, each by its id field; their every callback URL carries the record's
# own callback token, which the journal names by its SHA-256.
_RECORDS = (("stk_payments", "payment_id"), ("b2c_withdrawals", "withdrawal_id"))
# The most journal entries read for one record: Daraja sends a handful; a flood of repeats is cut here.
_MOST_ENTRIES = 500


class MongoCallbackTrail(CallbackTrail):
    """A record's applied callback (from the record) and its journal entries (by the hash of its token), merged: two
    reads, by unique id and then on the journal's (path_token_hash, received_at) index."""

    def __init__(self, database: MongoDatabase) -> None:
        self._database = database

    @translates_store_errors
    async def of_record(self, record_id: str) -> list[TrailEntry] | None:
        record = await self._record(record_id)
        if record is None:
            return None
        entries: list[TrailEntry] = []
        applied = applied_callback_of(record)
        if applied is not None:
            entries.append(TrailEntry(applied.journal_id, KeptIn.RECORD, callback=applied.callback))
        cursor = self._database["callback_journal"].find(
            {"path_token_hash": token_digest(record["callback_token"])}, sort=[("received_at", 1)], limit=_MOST_ENTRIES
        )
        entries += [_entry(stored) async for stored in cursor]
        return in_arrival_order(entries)

    async def _record(self, record_id: str) -> dict[str, Any] | None:
        for collection, id_field in _RECORDS:
            stored = await self._database[collection].find_one(
                equal_to({id_field: record_id}), projection={"callback_token": True, FIELD: True}
            )
            if stored is not None:
                return stored
        return None


def _entry(stored: dict[str, Any]) -> TrailEntry:
    kind, token_hash = CallbackKind(stored["kind"]), stored["path_token_hash"]
    received_at, source = as_utc(stored["received_at"]), stored.get("source")
    if "digest_reason" in stored:
        reason = DigestReason(stored["digest_reason"])
        digest = CallbackDigest(
            kind, token_hash, stored["body_sha256"], stored["body_size"], source, received_at, reason
        )
        return TrailEntry(str(stored["_id"]), KeptIn.JOURNAL, digest=digest)
    headers = tuple((header["name"], header["value"]) for header in stored["headers"])
    callback = ReceivedCallback(kind, token_hash, bytes(stored["body"]), headers, source, received_at)
    return TrailEntry(str(stored["_id"]), KeptIn.JOURNAL, callback=callback)
