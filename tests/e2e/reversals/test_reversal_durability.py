"""Reversals are recorded before Daraja hears of them: one recorded by a gateway killed before sending it is sent
once by the next, and one a worker had begun sending when it died is never sent again."""

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import SocketClient

SETTLE_SECONDS = 30.0


@pytest.fixture
def database_name(request: pytest.FixtureRequest) -> str:
    return f"e2e_{request.node.name[:40]}"


@pytest.fixture
def reversals(store: EmbeddedMongo, database_name: str) -> Iterator[pymongo.collection.Collection]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[database_name]["reversals"]
    client.close()


def gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator, database: str, **env: str
) -> Gateway:
    return start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=database,
        DARAJA_BASE_URL=simulator.url,
        WORKER_POLL_SECONDS="0.2",
        **env,
    )


async def recorded_reversal(first: Gateway) -> dict[str, Any]:
    """A completed payment and its reversal, recorded by a gateway whose worker is off (keys are optional here)."""
    async with await SocketClient.connect(f"{first.wss}/mpesa/stk/durable", first.tls) as client:
        pushed = await client.request(
            {"kind": "push", "payload": {"phone": fresh_phone(), "amount": 120, "description": "Order"}}
        )
        paid = await client.update_where(lambda data: data["id"] == pushed["data"]["id"] and data["receipt"])
    with first.http() as http:
        asked = http.post("/api/v1/mpesa/reversals", json={"receipt": paid["data"]["receipt"], "reason": "Refund"})
    assert asked.status_code == 201, asked.text
    return dict(asked.json()["data"])


def killed(process_gateway: Gateway) -> None:
    os.killpg(process_gateway.process.pid, signal.SIGKILL)  # type: ignore[arg-type]
    process_gateway.process.stop()


def wait_until(condition: Any) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the reversal"
        time.sleep(0.2)


async def test_a_reversal_recorded_by_a_killed_gateway_is_sent_once_by_the_next(
    workdir: Path,
    tls_files: tuple[Path, Path],
    store: EmbeddedMongo,
    simulator: Simulator,
    database_name: str,
    reversals: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    first = gateway(workdir, tls_files, store, simulator, database_name, WORKER_ENABLED="false")
    reversal = await recorded_reversal(first)
    killed(first)

    second = gateway(workdir, tls_files, store, simulator, database_name)
    try:
        await asyncio.to_thread(
            wait_until, lambda: reversals.find_one({"reversal_id": reversal["id"]})["status"] == "reversed"
        )
    finally:
        second.process.stop()

    assert simulator.reversal_requests(reversal["receipt"]) == 1


async def test_a_reversal_whose_worker_died_while_sending_it_is_never_sent_again(
    workdir: Path,
    tls_files: tuple[Path, Path],
    store: EmbeddedMongo,
    simulator: Simulator,
    database_name: str,
    reversals: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    first = gateway(workdir, tls_files, store, simulator, database_name, WORKER_ENABLED="false")
    reversal = await recorded_reversal(first)
    # As a worker that stored "sending to Daraja" and was killed before the request left would leave it.
    stored = reversals.find_one({"reversal_id": reversal["id"]})
    lease_ends = datetime.now(UTC) + timedelta(seconds=1)
    reversals.replace_one(
        {"_id": stored["_id"], "version": stored["version"]},
        {
            **stored,
            "status": "unknown",
            "lease_owner": "worker-that-died",
            "lease_until_ms": int(lease_ends.timestamp() * 1000),
            "version": stored["version"] + 1,
        },
    )
    killed(first)

    second = gateway(workdir, tls_files, store, simulator, database_name)
    try:
        await asyncio.sleep(4.0)  # the lease has long ended, and the worker and reconciler have looked many times
        with second.http() as http:
            shown = http.get(f"/api/v1/mpesa/reversals/{reversal['id']}").json()["data"]
    finally:
        second.process.stop()

    assert shown["status"] == "unknown"
    assert simulator.reversal_requests(reversal["receipt"]) == 0
