"""One embedded MongoDB-compatible server per session, reached over TCP; a fresh database per test."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from adapters.mongo.client import MongoAsyncClient, MongoDatabase, create_mongo_client
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.embedded_server import EmbeddedMongo
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from migrations import apply_migrations
from tests.simulator.harness import CallbackReceiver, serve
from tests.support.processes import Simulator, start_simulator


@pytest.fixture(scope="session")
def embedded_mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    with EmbeddedMongo(tmp_path_factory.mktemp("embedded-mongo")) as server:
        yield server


@pytest.fixture(scope="session")
async def mongo_client(embedded_mongo: EmbeddedMongo) -> AsyncIterator[MongoAsyncClient]:
    client = create_mongo_client(embedded_mongo.url)
    yield client
    await client.close()


@pytest.fixture
async def empty_database(mongo_client: MongoAsyncClient) -> AsyncIterator[MongoDatabase]:
    """A database no test has touched, without migrations."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    yield mongo_client[name]
    await mongo_client.drop_database(name)


@pytest.fixture
async def database(empty_database: MongoDatabase) -> MongoDatabase:
    """A migrated database of its own, which the adapters under test are given."""
    await apply_migrations(empty_database)
    return empty_database


@pytest.fixture
def payments(database: MongoDatabase) -> MongoPaymentRepository:
    return MongoPaymentRepository(database)


@pytest.fixture
async def counted_store(
    embedded_mongo: EmbeddedMongo, database: MongoDatabase
) -> AsyncIterator[tuple[MongoDatabase, StoreCommandCounter]]:
    """The test's migrated database on a client of its own whose every command is counted, with the counter."""
    counter = StoreCommandCounter()
    client = create_mongo_client(embedded_mongo.url, listeners=[counter])
    await client.admin.command("ping")
    counter.counts.clear()
    yield client[database.name], counter
    await client.close()


@pytest.fixture(scope="module")
def simulator(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """The Daraja simulator as a process of its own, one per test module, started with the module's
    SIMULATOR_ENVIRONMENT (e.g. {"SIM_SLOW_SECONDS": "1.0"}) if it has one."""
    environment: dict[str, str] = getattr(request.module, "SIMULATOR_ENVIRONMENT", {})
    simulator = start_simulator(Path(tmp_path_factory.mktemp("simulator")), **environment)
    yield simulator
    simulator.process.stop()


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[tuple[CallbackReceiver, str]]:
    """A callback receiver served on loopback, one per test module, and its URL."""
    app = CallbackReceiver()
    running = await serve(app, lifespan="off")
    yield app, running.url
    await running.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with short timeouts, for the Daraja clients under test."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0)) as client:
        yield client
