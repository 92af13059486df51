from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import CommandListener

DEFAULT_TIMEOUT_SECONDS = 2.0

MongoAsyncClient = AsyncMongoClient[dict[str, Any]]
MongoDatabase = AsyncDatabase[dict[str, Any]]
MongoCollection = AsyncCollection[dict[str, Any]]


def create_mongo_client(
    url: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS, listeners: Sequence[CommandListener] = ()
) -> MongoAsyncClient:
    """PyMongo's native asyncio client (no thread pool, unlike Motor), handing back timezone-aware UTC datetimes and
    giving up quickly on an absent server. `listeners` see every command it sends (STORE_COMMAND_METRICS).

    `timeout_seconds` bounds finding a server and connecting to it, so with the store down a request is refused
    (StoreUnavailableError) within about that long; the client reconnects by itself once the store is back.
    """
    timeout_ms = round(timeout_seconds * 1000)
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        event_listeners=list(listeners),
    )


def gateway_database(client: MongoAsyncClient, name: str) -> MongoDatabase:
    """The one database every adapter and migration of this gateway works in."""
    return client[name]
