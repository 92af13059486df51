from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient
from odmantic import AIOEngine


def create_mongo_client(url: str, server_selection_timeout_ms: int = 5000) -> AsyncIOMotorClient[dict[str, Any]]:
    """A Motor client that hands back timezone-aware UTC datetimes and gives up quickly on an absent server."""
    return AsyncIOMotorClient(url, tz_aware=True, serverSelectionTimeoutMS=server_selection_timeout_ms)


def create_engine(client: AsyncIOMotorClient[dict[str, Any]], database: str) -> AIOEngine:
    return AIOEngine(client=client, database=database)
