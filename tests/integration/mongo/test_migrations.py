import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoAsyncClient, MongoDatabase, create_mongo_client
from adapters.mongo.embedded_server import EmbeddedMongo
from migrations import MIGRATIONS_COLLECTION, MigrationInProgressError, apply_migrations
from migrations.steps import STEPS

ALL_NAMES = [step.NAME for step in STEPS]


@dataclass
class RecordingStep:
    """A slow step that leaves one document behind each time it runs, to count how often it ran."""

    VERSION: int
    NAME: str
    fails: bool = False

    async def apply(self, database: MongoDatabase) -> None:
        await database["step_runs"].insert_one({"version": self.VERSION})
        await asyncio.sleep(0.05)
        if self.fails:
            raise RuntimeError(f"step {self.NAME} broke")


async def test_migrations_apply_once_and_are_recorded(empty_database: MongoDatabase) -> None:
    first = await apply_migrations(empty_database)

    second = await apply_migrations(empty_database)

    records = await empty_database[MIGRATIONS_COLLECTION].find({}, {"_id": False}).sort("version").to_list(None)
    assert first == ALL_NAMES
    assert second == []
    assert [(record["version"], record["name"]) for record in records] == [(s.VERSION, s.NAME) for s in STEPS]
    assert all(isinstance(record["applied_at"], datetime) for record in records)


async def test_concurrent_starts_apply_the_real_steps_once(
    empty_database: MongoDatabase, embedded_mongo: EmbeddedMongo
) -> None:
    async with _other_processes(embedded_mongo, 2) as (client_a, client_b):
        results = await asyncio.gather(
            apply_migrations(client_a[empty_database.name]), apply_migrations(client_b[empty_database.name])
        )

    assert sorted(name for applied in results for name in applied) == sorted(ALL_NAMES)


async def test_concurrent_starts_run_each_step_exactly_once(
    empty_database: MongoDatabase, embedded_mongo: EmbeddedMongo
) -> None:
    steps = [RecordingStep(1, "one"), RecordingStep(2, "two"), RecordingStep(3, "three")]

    async with _other_processes(embedded_mongo, 3) as clients:
        results = await asyncio.gather(*(apply_migrations(c[empty_database.name], steps=steps) for c in clients))

    runs = await empty_database["step_runs"].find({}, {"_id": False}).to_list(None)
    assert sorted(run["version"] for run in runs) == [1, 2, 3]
    assert sorted(name for applied in results for name in applied) == ["one", "three", "two"]
    assert await empty_database[MIGRATIONS_COLLECTION].count_documents({"applied_at": {"$ne": None}}) == 3


async def test_a_failing_step_is_retried_on_the_next_start(empty_database: MongoDatabase) -> None:
    with pytest.raises(RuntimeError, match="broke"):
        await apply_migrations(empty_database, steps=[RecordingStep(1, "one"), RecordingStep(2, "two", fails=True)])

    applied = await apply_migrations(empty_database, steps=[RecordingStep(1, "one"), RecordingStep(2, "two")])

    assert applied == ["two"]
    assert await empty_database[MIGRATIONS_COLLECTION].count_documents({"applied_at": {"$ne": None}}) == 2


async def test_a_step_left_unfinished_by_another_process_stops_the_start(
    empty_database: MongoDatabase,
) -> None:
    await empty_database[MIGRATIONS_COLLECTION].insert_one(
        {
            "version": 1,
            "name": "one",
            "claim": "x",
            "claimed_by": "elsewhere:1",
            "claimed_at": datetime.now(UTC),
            "applied_at": None,
        }
    )

    with pytest.raises(MigrationInProgressError, match="elsewhere:1"):
        await apply_migrations(empty_database, steps=[RecordingStep(1, "one")], wait_timeout=0.3)

    assert await empty_database["step_runs"].count_documents({}) == 0


@asynccontextmanager
async def _other_processes(server: EmbeddedMongo, count: int) -> AsyncIterator[list[MongoAsyncClient]]:
    """Separate clients, each with its own connections, standing in for gateway processes starting together."""
    clients = [create_mongo_client(server.url) for _ in range(count)]
    try:
        yield clients
    finally:
        for client in clients:
            await client.close()


async def test_a_store_counting_prompts_in_rate_limits_loses_that_collection(empty_database: MongoDatabase) -> None:
    before_m0012 = [step for step in STEPS if step.VERSION < 12]
    await apply_migrations(empty_database, steps=before_m0012)
    window = {"_id": "stk-phone:254708374149@1764806400", "key": "stk-phone:254708374149", "count": 3}
    await empty_database["rate_limits"].insert_one({**window, "expires_at": datetime.now(UTC) + timedelta(hours=1)})
    assert await empty_database["rate_limits"].count_documents({}) == 1

    applied = await apply_migrations(empty_database)

    assert "rate_limits_off_the_store" in applied
    assert "rate_limits" not in await empty_database.list_collection_names()


async def test_open_prompts_locked_in_their_own_collection_move_into_their_payments(
    empty_database: MongoDatabase,
) -> None:
    before = [step for step in STEPS if step.VERSION < 21]
    await apply_migrations(empty_database, steps=before)
    now = datetime.now(UTC).replace(microsecond=0)
    payments, locks = empty_database["stk_payments"], empty_database["stk_prompt_locks"]
    for payment_id, phone, status in (("open", "254708374149", "pending"), ("done", "254708374150", "success")):
        await payments.insert_one({"payment_id": payment_id, "phone": phone, "status": status, "version": 1})
        await locks.insert_one(
            {"_id": phone, "holder": payment_id, "acquired_at": now, "expires_at": now + timedelta(minutes=2)}
        )

    applied = await apply_migrations(empty_database)

    open_payment = await payments.find_one({"payment_id": "open"})
    done_payment = await payments.find_one({"payment_id": "done"})
    assert "prompt_holds_in_payments" in applied
    assert "stk_prompt_locks" not in await empty_database.list_collection_names()
    assert open_payment is not None and open_payment["prompt_phone"] == "254708374149"
    assert open_payment["prompt_until_ms"] == int((now + timedelta(minutes=2)).timestamp() * 1000)
    assert done_payment is not None and "prompt_phone" not in done_payment
    # The moved hold still refuses a second open payment for the phone.
    with pytest.raises(DuplicateKeyError):
        await payments.insert_one({"payment_id": "second", "phone": "254708374149", "prompt_phone": "254708374149"})
