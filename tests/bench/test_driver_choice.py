"""bench/driver_choice.py measures what it says: each command made, and found where it was written, against the
embedded store."""

from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from adapters.mongo.embedded_server import EmbeddedMongo
from bench.driver_choice import pymongo_round


async def test_the_pymongo_round_writes_finds_and_replaces_every_payment(tmp_path: Path) -> None:
    with EmbeddedMongo(tmp_path) as store:
        figures = await pymongo_round(store.url, "driver_choice", commands=20)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(store.url)
        try:
            stored = await client["driver_choice"]["payments"].find({}, {"_id": False, "version": True}).to_list()
        finally:
            await client.close()

    assert set(figures) == {"insert_one", "find_one", "find_one_and_replace"}
    assert all(ms > 0 for ms in figures.values())
    assert stored == [{"version": 1}] * 20
