"""Documents of concurrent callers inserted together: one `insert_many` for a burst, not one insert each.

The first document of a round starts a flush `gather_seconds` later; every document added meanwhile joins it. Each
caller returns once its own document is stored, or raises what storing it raised, so a caller still knows its
document is in the store when it goes on. The flush runs in its own task: a caller that gives up waiting (its
request cancelled) neither stops the round nor loses the others' documents.
"""

import asyncio
from typing import Any

from pymongo.errors import BulkWriteError

from adapters.mongo.client import MongoCollection


class GroupInsert:
    def __init__(self, collection: MongoCollection, gather_seconds: float) -> None:
        self._collection, self._gather_seconds = collection, gather_seconds
        self._round: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flushes: set[asyncio.Task[None]] = set()

    async def insert(self, document: dict[str, Any]) -> None:
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._round.append((document, stored))
        if len(self._round) == 1:
            flush = asyncio.create_task(self._flush_after_gathering())
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        await asyncio.shield(stored)

    async def _flush_after_gathering(self) -> None:
        await asyncio.sleep(self._gather_seconds)
        batch, self._round = self._round, []
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
