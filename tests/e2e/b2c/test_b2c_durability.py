"""The B2C queue is the store: it survives a killed gateway, and two workers never send one withdrawal twice."""

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, cli, start_gateway
from tests.support.socket_client import SocketClient

SETTLE_SECONDS = 30.0


@pytest.fixture
def database_name(request: pytest.FixtureRequest) -> str:
    return f"e2e_{request.node.name[:40]}"


@pytest.fixture
def queue(store: EmbeddedMongo, database_name: str) -> Iterator[pymongo.collection.Collection]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[database_name]["b2c_withdrawals"]
    client.close()


def gateway_without_worker(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator, database: str
) -> Gateway:
    return start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=database,
        DARAJA_BASE_URL=simulator.url,
        WORKER_ENABLED="false",
    )


async def queue_withdrawals(gateway: Gateway, count: int) -> list[dict[str, Any]]:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/b2c/durable", gateway.tls) as client:
        replies = [
            await client.request(
                {"kind": "withdraw", "payload": {"phone": fresh_phone(), "amount": 100, "description": "Queued"}}
            )
            for _ in range(count)
        ]
    assert all(reply["ok"] for reply in replies), replies
    return [reply["data"] for reply in replies]


def wait_until(condition: Any, seconds: float = SETTLE_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the withdrawals to settle"
        time.sleep(0.2)


async def test_queued_and_claimed_withdrawals_survive_a_killed_gateway_and_are_each_sent_once(
    workdir: Path,
    tls_files: tuple[Path, Path],
    store: EmbeddedMongo,
    simulator: Simulator,
    database_name: str,
    queue: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    first = gateway_without_worker(workdir, tls_files, store, simulator, database_name)
    queued = await queue_withdrawals(first, 5)
    # As a worker that claimed one and died before sending would leave it: leased for a few more seconds.
    claimed = queue.find_one({"withdrawal_id": queued[0]["id"]})
    lease_ends = datetime.now(UTC) + timedelta(seconds=3)
    queue.replace_one(
        {"_id": claimed["_id"], "version": claimed["version"]},
        {
            **claimed,
            "lease_owner": "worker-that-died",
            "lease_expires_at": lease_ends,
            "version": claimed["version"] + 1,
        },
    )
    os.killpg(first.process.pid, signal.SIGKILL)  # type: ignore[arg-type]
    first.process.stop()

    second = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=database_name,
        DARAJA_BASE_URL=simulator.url,
        WORKER_POLL_SECONDS="0.2",
    )
    try:
        await asyncio.to_thread(wait_until, lambda: queue.count_documents({"status": "success"}) == 5)
    finally:
        second.process.stop()

    assert [simulator.b2c_requests(item["originator_conversation_id"]) for item in queued] == [1] * 5
    taken_over = queue.find_one({"withdrawal_id": queued[0]["id"]})
    assert taken_over["updated_at"] >= lease_ends - timedelta(seconds=1)


async def test_two_workers_over_one_store_send_each_of_fifty_withdrawals_exactly_once(
    workdir: Path,
    tls_files: tuple[Path, Path],
    store: EmbeddedMongo,
    simulator: Simulator,
    database_name: str,
    queue: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    gateway = gateway_without_worker(workdir, tls_files, store, simulator, database_name)
    queued = await queue_withdrawals(gateway, 50)
    sent_before = simulator.b2c_request_count()
    environment = {
        **os.environ,
        "MONGODB_URL": store.url,
        "MONGODB_DATABASE": database_name,
        "DARAJA_BASE_URL": simulator.url,
        "CALLBACK_BASE_URL": gateway.https,
        "WORKER_POLL_SECONDS": "0.2",
        "IDLE_POLL_MAX_SECONDS": "1",
    }
    logs = [(workdir / f"worker-{number}.log").open("wb") for number in (1, 2)]
    workers = [
        subprocess.Popen(cli("worker"), env=environment, stdout=log, stderr=subprocess.STDOUT)  # noqa: ASYNC220
        for log in logs
    ]
    try:
        await asyncio.to_thread(wait_until, lambda: queue.count_documents({"status": "queued"}) == 0)
        await asyncio.to_thread(wait_until, lambda: queue.count_documents({"status": "success"}) == 50)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker, log in zip(workers, logs, strict=True):
            worker.wait(timeout=20)
            log.close()
        gateway.process.stop()

    assert [simulator.b2c_requests(item["originator_conversation_id"]) for item in queued] == [1] * 50
    assert simulator.b2c_request_count() == sent_before + 50
    assert [worker.returncode for worker in workers] == [0, 0]
