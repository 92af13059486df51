from typing import Any

from bson import Binary, ObjectId

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.group_insert import GroupInsert
from adapters.mongo.store_errors import translates_store_errors
from domain.callbacks.ports import CallbackJournal
from domain.callbacks.received_callback import CallbackDigest, ReceivedCallback

_COLLECTION = "callback_journal"


class MongoCallbackJournal(CallbackJournal):
    """Append-only: one document inserted per callback, never updated or deleted by the gateway; the entries of
    callbacks arriving while another entry is being inserted are inserted together, in one command
    (adapters.mongo.group_insert).

    The body is kept as BSON binary, byte for byte, whatever it holds. Headers are a list of name/value pairs rather
    than a sub-document: a caller chooses header names, and one such as `$where` or `a.b` is no valid field name.
    A digest entry has `body_sha256`, `body_size` and `digest_reason` instead of `body` and `headers`.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._journal = GroupInsert(database[_COLLECTION])

    def new_id(self) -> str:
        return str(ObjectId())

    @translates_store_errors
    async def record(self, callback: ReceivedCallback, journal_id: str | None = None) -> str:
        document = _with_id(entry_fields(callback), journal_id)
        await self._journal.insert(document)
        return str(document["_id"])

    @translates_store_errors
    async def record_digest(self, digest: CallbackDigest, journal_id: str) -> str:
        document = _with_id(_digest_document(digest), journal_id)
        await self._journal.insert(document)
        return str(document["_id"])


def _with_id(document: dict[str, Any], journal_id: str | None) -> dict[str, Any]:
    return {"_id": ObjectId(journal_id) if journal_id is not None else ObjectId(), **document}


def entry_fields(callback: ReceivedCallback) -> dict[str, Any]:
    """A callback in full, as the journal stores it (and a record its applied callback), without an id."""
    return {
        "kind": callback.kind.value,
        "path_token_hash": callback.path_token_hash,
        "body": Binary(callback.body),
        "headers": [{"name": name, "value": value} for name, value in callback.headers],
        "source": callback.source,
        "received_at": as_utc(callback.received_at),
    }


def _digest_document(digest: CallbackDigest) -> dict[str, Any]:
    return {
        "kind": digest.kind.value,
        "path_token_hash": digest.path_token_hash,
        "body_sha256": digest.body_sha256,
        "body_size": digest.body_size,
        "digest_reason": digest.reason.value,
        "source": digest.source,
        "received_at": as_utc(digest.received_at),
    }
