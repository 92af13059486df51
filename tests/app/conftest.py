"""The application layer: the real Litestar app, built in this process by the composition root
(entrypoints.bootstrap) with some providers overridden, driven through Litestar's test client: no port is opened
for the app, no uvicorn, no subprocess. The store is the embedded one (a real store, so the app's lifecycle migrates
it as `serve` does); Daraja is whatever a test overrides it with.

Override a provider where its capability container declares it: `container.stk.payment_provider.override(...)`
(dependency-injector's override; every provider that depends on it sees the override)."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.app import create_app
from entrypoints.bootstrap.containers import ApplicationContainer
from entrypoints.settings import MpesaEnvironment, Settings
from tests.unit.fakes import FakePaymentProvider


class DarajaAnswers:
    """Daraja's OAuth endpoint as /ready sees it: up unless told otherwise."""

    def __init__(self) -> None:
        self.up = True

    async def check(self) -> bool:
        return self.up


@pytest.fixture(scope="session")
def app_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    with EmbeddedMongo(tmp_path_factory.mktemp("app-store")) as mongo:
        yield mongo


@pytest.fixture
def settings(app_store: EmbeddedMongo, tmp_path: Path) -> Settings:
    """Simulator mode without the simulator (nothing calls Daraja: its providers are overridden), a fresh database
    per test, no background loops, and keyless server endpoints (the simulator-only switch)."""
    return Settings(
        mpesa_env=MpesaEnvironment.SIMULATOR,
        mongodb_url=app_store.url,
        mongodb_database=f"app_{uuid.uuid4().hex[:12]}",
        daraja_base_url="http://daraja.invalid",
        api_keys_optional=True,
        worker_enabled=False,
        tls=False,
        data_dir=tmp_path,
    )


@pytest.fixture
def container(settings: Settings) -> ApplicationContainer:
    container = ApplicationContainer(settings=settings)
    # The initiator credential would be computed from the simulator's certificate.
    container.daraja.security_credential.override(providers.Object("app-test-credential"))
    return container


@pytest.fixture
def daraja_health(container: ApplicationContainer) -> DarajaAnswers:
    answers = DarajaAnswers()
    container.daraja.daraja_health.override(providers.Object(answers))
    return answers


@pytest.fixture
def stk_daraja(container: ApplicationContainer) -> FakePaymentProvider:
    """Daraja's STK push and query, answered by a fake that accepts every push and records it."""
    fake = FakePaymentProvider()
    container.stk.payment_provider.override(providers.Object(fake))
    return fake


@pytest.fixture
async def client(
    container: ApplicationContainer, daraja_health: DarajaAnswers, stk_daraja: FakePaymentProvider
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app as `serve` builds it, its lifespan (the Lifecycle) run by the test client."""
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client
