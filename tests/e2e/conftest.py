import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.dev_certificate import ensure_dev_certificate
from tests.support.gateway_settings import B2C_DAILY_LIMIT, DATABASE
from tests.support.processes import Gateway, Simulator, start_gateway, start_simulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


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


@pytest.fixture(scope="session")
def node_examples() -> Path:
    """Node.js, with the examples' packages (`ws` for Node 20, which has no WebSocket; `jose` for minting) installed
    into examples/node_modules from the committed lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node is not None and npm is not None, "Node.js and npm are needed to run the JavaScript examples"
    packages = json.loads((EXAMPLES / "package.json").read_text())["dependencies"]
    if not all((EXAMPLES / "node_modules" / name / "package.json").exists() for name in packages):
        subprocess.run(
            [npm, "ci", "--prefix", str(EXAMPLES), "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            timeout=180,
        )
    return Path(node)
