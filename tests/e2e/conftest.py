from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.dev_certificate import ensure_dev_certificate
from tests.support.gateway_settings import B2C_DAILY_LIMIT, DATABASE
from tests.support.processes import Gateway, Simulator, start_gateway, start_simulator


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def tls_files(workdir: Path) -> tuple[Path, Path]:
    certfile, keyfile = workdir / "ssl" / "cert.pem", workdir / "ssl" / "key.pem"
    ensure_dev_certificate(certfile, keyfile)
    return certfile, keyfile


@pytest.fixture(scope="session")
def store(workdir: Path) -> Iterator[EmbeddedMongo]:
    with EmbeddedMongo(workdir / "store") as mongo:
        yield mongo


@pytest.fixture(scope="session")
def simulator(workdir: Path) -> Iterator[Simulator]:
    simulator = start_simulator(workdir)
    yield simulator
    simulator.process.stop()


@pytest.fixture(scope="session")
def gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        B2C_DAILY_LIMIT=str(B2C_DAILY_LIMIT),
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="session")
def payments(store: EmbeddedMongo) -> Iterator[pymongo.collection.Collection]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]["stk_payments"]
    client.close()


@pytest.fixture(scope="session")
def withdrawals(store: EmbeddedMongo) -> Iterator[pymongo.collection.Collection]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]["b2c_withdrawals"]
    client.close()
