from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient
from odmantic import AIOEngine

DEFAULT_TIMEOUT_SECONDS = 2.0


def create_mongo_client(
    url: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> AsyncIOMotorClient[dict[str, Any]]:
    """A Motor client that hands back timezone-aware UTC datetimes and gives up quickly on an absent server.

    `timeout_seconds` bounds finding a server and connecting to it, so with the store down a request is refused
    (StoreUnavailableError) within about that long; the client reconnects by itself once the store is back.
    """
    timeout_ms = round(timeout_seconds * 1000)
    return AsyncIOMotorClient(url, tz_aware=True, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)


def create_engine(client: AsyncIOMotorClient[dict[str, Any]], database: str) -> AIOEngine:
    return AIOEngine(client=client, database=database)
