from typing import Any

from bson import Binary

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.ports import CallbackJournal
from domain.received_callback import ReceivedCallback

_COLLECTION = "callback_journal"


class MongoCallbackJournal(CallbackJournal):
    """Append-only: one document inserted per callback, never updated or deleted by the gateway.

    The body is kept as BSON binary, byte for byte, whatever it holds. Headers are a list of name/value pairs rather
    than a sub-document: a caller chooses header names, and one such as `$where` or `a.b` is no valid field name.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._journal = database[_COLLECTION]

    @translates_store_errors
    async def record(self, callback: ReceivedCallback) -> str:
        inserted = await self._journal.insert_one(_document(callback))
        return str(inserted.inserted_id)


def _document(callback: ReceivedCallback) -> dict[str, Any]:
    return {
        "kind": callback.kind.value,
        "path_token_hash": callback.path_token_hash,
        "body": Binary(callback.body),
        "headers": [{"name": name, "value": value} for name, value in callback.headers],
        "source": callback.source,
        "received_at": as_utc(callback.received_at),
    }
