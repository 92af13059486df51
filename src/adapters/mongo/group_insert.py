"""Documents of concurrent callers inserted together: one `insert_many` for a burst, not one insert each.

Group commit, with no timer: a document that finds no insert in flight is inserted at once (with whatever else
arrived in the same turn of the event loop); documents that arrive while an insert is in flight wait for it to
end and are then inserted together. A lone caller waits no longer than for its own insert; under load the batches
grow with the load. Each caller returns once its own document is stored, or raises what storing it raised. The
inserts run in their own task: a caller that gives up waiting (its request cancelled) stops nobody else's.
"""

import asyncio
from typing import Any

from pymongo.errors import BulkWriteError

from adapters.mongo.client import MongoCollection


class GroupInsert:
    def __init__(self, collection: MongoCollection) -> None:
        self._collection = collection
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._inserting: asyncio.Task[None] | None = None

    async def insert(self, document: dict[str, Any]) -> None:
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((document, stored))
        if self._inserting is None:
            self._inserting = asyncio.create_task(self._insert_while_waiting())
        await asyncio.shield(stored)

    async def _insert_while_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._insert(batch)
        finally:
            self._inserting = None

    async def _insert(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        try:
            await self._collection.insert_many([document for document, _ in batch], ordered=False)
        except BulkWriteError as refused:
            failed = {error["index"]: error for error in refused.details.get("writeErrors", [])}
            for index, (_, stored) in enumerate(batch):
                _settle(stored, BulkWriteError({"writeErrors": [failed[index]]}) if index in failed else None)
        except Exception as fault:
            for _, stored in batch:
                _settle(stored, fault)
        else:
            for _, stored in batch:
                _settle(stored, None)


def _settle(stored: asyncio.Future[None], error: Exception | None) -> None:
    if stored.done():
        return
    if error is None:
        stored.set_result(None)
    else:
        stored.set_exception(error)
