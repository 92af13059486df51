"""The driver, chosen on measurement: the client process's CPU per store command, PyMongo's asyncio API against
mongojet (an asyncio client over MongoDB's Rust driver), on the embedded store, one command at a time.

    python -m bench.driver_choice [--commands 2000] [--rounds 2]

mongojet is not a dependency of the gateway: install it into the environment to compare (`pip install mongojet`);
without it only PyMongo is measured. Each round starts a fresh database: a unique index on `payment_id`, as the
gateway's, then per driver N inserts, N `find_one`s and N versioned `find_one_and_replace`s of a payment-sized
document (the callback's one command), with `$eq` filters as the gateway writes them. The figure is this process's
CPU time (user + system, every thread: mongojet's Rust runtime runs in threads of its own) ÷ N.
"""

import argparse
import asyncio
import resource
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from adapters.mongo.embedded_server import EmbeddedMongo

# About a settled STK payment's size in BSON (docs/performance.md): three history entries and a kept callback body.
_HISTORY = [{"status": "pending", "at_ms": 1_741_942_800_125, "snapshot": {"status": "pending", "amount": 150}}] * 3
_DOCUMENT = {"hash": "a1b2c3d4" * 4, "status": "pending", "version": 0, "history": _HISTORY, "body_base64": "e" * 600}

Replace = Callable[[Any, dict[str, Any], dict[str, Any]], Awaitable[Any]]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _per_command(collection: Any, commands: int, replace: Replace) -> dict[str, float]:
    ids = [f"pay-{n}" for n in range(commands)]
    figures: dict[str, float] = {}
    started = _cpu_seconds()
    for payment_id in ids:
        await collection.insert_one({**_DOCUMENT, "payment_id": payment_id})
    figures["insert_one"] = _cpu_seconds() - started
    started = _cpu_seconds()
    for payment_id in ids:
        await collection.find_one({"payment_id": {"$eq": payment_id}})
    figures["find_one"] = _cpu_seconds() - started
    started = _cpu_seconds()
    for payment_id in ids:
        condition = {"payment_id": {"$eq": payment_id}, "version": {"$eq": 0}}
        await replace(collection, condition, {**_DOCUMENT, "payment_id": payment_id, "version": 1})
    figures["find_one_and_replace"] = _cpu_seconds() - started
    return {name: seconds / commands * 1000 for name, seconds in figures.items()}


async def pymongo_round(url: str, database: str, commands: int) -> dict[str, float]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    try:
        collection = client[database]["payments"]
        await collection.create_index("payment_id", unique=True)

        async def replace(collection: Any, condition: dict[str, Any], replacement: dict[str, Any]) -> Any:
            return await collection.find_one_and_replace(condition, replacement, projection={"_id": True})

        return await _per_command(collection, commands, replace)
    finally:
        await client.close()


async def mongojet_round(url: str, database: str, commands: int) -> dict[str, float] | None:
    try:
        import mongojet
    except ImportError:
        return None
    client = await mongojet.create_client(url)
    try:
        collection = client.get_database(database).get_collection("payments")
        await collection.create_index({"payment_id": 1}, unique=True)

        async def replace(collection: Any, condition: dict[str, Any], replacement: dict[str, Any]) -> Any:
            return await collection.find_one_and_replace(condition, replacement, projection={"_id": True})

        return await _per_command(collection, commands, replace)
    finally:
        await client.close()


async def main(commands: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir, EmbeddedMongo(Path(data_dir)) as store:
        for round_ in range(1, rounds + 1):
            for name, measure in (("pymongo", pymongo_round), ("mongojet", mongojet_round)):
                figures = await measure(store.url, f"{name}_{round_}", commands)
                if figures is None:
                    print(f"round {round_} {name}: not installed")
                    continue
                shown = ", ".join(f"{command} {ms:.3f} ms" for command, ms in figures.items())
                print(f"round {round_} {name}: client CPU per command: {shown}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.commands, arguments.rounds))
