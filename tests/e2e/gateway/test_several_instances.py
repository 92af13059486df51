"""Two gateway processes behind one Redis and one store: an update produced on either reaches the clients of both,
a client of a killed instance catches up on the other, losing Redis degrades without breaking, and withdrawals
requested on both are each sent once."""

import asyncio
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, cli, start_gateway
from tests.support.redis_server import RedisServer, redis_server
from tests.support.socket_client import SocketClient

# Daraja slow: the simulator answers the push after SIM_SLOW_SECONDS (1.5) and calls back after that.
DARAJA_SLOW = 9300
# Callback lost: the simulator never calls back, so only the instance that took the push ever publishes it.
CALLBACK_LOST = 9100
SETTLED_SECONDS = 20.0
# How long cross-instance delivery may take to resume once Redis is back (its back-off is bounded at 5 s).
RESUME_SECONDS = 30.0


@pytest.fixture(scope="module")
def redis(workdir: Path) -> Iterator[RedisServer]:
    with redis_server(workdir) as server:
        yield server


@pytest.fixture
def shared(store: EmbeddedMongo, simulator: Simulator, redis: RedisServer) -> dict[str, str]:
    """What every instance of one deployment shares: the store (a database of this test's own), Daraja, Redis."""
    return {
        "MONGODB_URL": store.url,
        "MONGODB_DATABASE": f"instances_{uuid.uuid4().hex[:8]}",
        "DARAJA_BASE_URL": simulator.url,
        "REDIS_URL": redis.url,
    }


@pytest.fixture
def started(workdir: Path, tls_files: tuple[Path, Path]) -> Iterator[list[Gateway]]:
    """Gateways a test starts, stopped (or found already killed) at its end."""
    gateways: list[Gateway] = []
    yield gateways
    for gateway in gateways:
        gateway.process.stop()


def push(amount: int) -> dict[str, Any]:
    return {"kind": "push", "payload": {"phone": fresh_phone(), "amount": amount, "description": "Scale out"}}


async def until_sent_to_daraja(store: EmbeddedMongo, database: str, simulator: Simulator, pushes_before: int) -> str:
    """The id of the slow push once it is stored and Daraja (the simulator) has it."""
    deadline = time.monotonic() + SETTLED_SECONDS
    while True:
        with pymongo.MongoClient(store.url) as client:
            document = client[database]["stk_payments"].find_one({"amount": DARAJA_SLOW})
        if document is not None and simulator.stk_push_count() > pushes_before:
            return str(document["payment_id"])
        assert time.monotonic() < deadline, "the slow push never reached the simulator"
        await asyncio.sleep(0.05)


def stored_status(store: EmbeddedMongo, database: str, payment_id: str) -> str | None:
    with pymongo.MongoClient(store.url) as client:
        document = client[database]["stk_payments"].find_one({"payment_id": payment_id})
    return None if document is None else str(document["status"])


async def until_final_in_store(store: EmbeddedMongo, database: str, payment_id: str) -> str:
    deadline = time.monotonic() + SETTLED_SECONDS
    while (status := stored_status(store, database, payment_id)) in (None, "pending"):
        assert time.monotonic() < deadline, f"payment {payment_id} still {status} after {SETTLED_SECONDS} s"
        await asyncio.sleep(0.2)
    assert status is not None
    return status


def readiness(gateway: Gateway) -> tuple[int, dict[str, Any]]:
    with gateway.http() as client:
        response = client.get("/ready")
    return response.status_code, response.json()


async def test_updates_cross_instances_survive_a_killed_instance_and_a_redis_restart(
    workdir: Path,
    tls_files: tuple[Path, Path],
    store: EmbeddedMongo,
    simulator: Simulator,
    redis: RedisServer,
    shared: dict[str, str],
    started: list[Gateway],
) -> None:
    b = start_gateway(workdir, *tls_files, **shared)
    started.append(b)
    # As behind a load balancer: Daraja is handed an address that reaches the other instance.
    a = start_gateway(workdir, *tls_files, CALLBACK_BASE_URL=b.https, **shared)
    started.append(a)
    path = f"/mpesa/stk/instances-{uuid.uuid4().hex[:8]}"

    # A client on A pushes; the simulator calls B back; the client on A gets the outcome.
    async with await SocketClient.connect(f"{a.wss}{path}", a.tls) as on_a:
        paid = await on_a.request(push(100))
        settled = await on_a.final_update(paid["data"]["id"])
        pushes_before = simulator.stk_push_count()
        await on_a.connection.send(json.dumps(push(DARAJA_SLOW)))
        in_flight = await until_sent_to_daraja(store, shared["MONGODB_DATABASE"], simulator, pushes_before)
        # A dies while Daraja is still answering the push: its callback can only reach B.
        a.process.kill()
    final_status = await until_final_in_store(store, shared["MONGODB_DATABASE"], in_flight)

    since = quote(settled["data"]["updated_at"])  # the last update the client saw
    async with await SocketClient.connect(f"{b.wss}{path}?since={since}", b.tls) as on_b:
        caught_up = await on_b.final_update(in_flight)
        c = start_gateway(workdir, *tls_files, CALLBACK_BASE_URL=b.https, **shared)
        started.append(c)
        async with await SocketClient.connect(f"{c.wss}{path}", c.tls) as on_c:
            redis.stop()
            during = await on_b.request(push(100))
            local = await on_b.final_update(during["data"]["id"])
            ready_without_redis = readiness(b)
            redis.start()
            relayed_after_outage = await on_c.final_update(during["data"]["id"], timeout=RESUME_SECONDS)
            # Only C ever publishes this payment: a success B publishes first would rightly drop C's pending.
            after = await on_c.request(push(CALLBACK_LOST))
            from_c = await on_b.update_where(
                lambda data: data["id"] == after["data"]["id"] and data["status"] == "pending", RESUME_SECONDS
            )

    assert settled["data"]["status"] == "success"
    assert final_status == "success"
    assert caught_up["data"]["status"] == "success"
    assert local["data"]["status"] == "success"
    assert stored_status(store, shared["MONGODB_DATABASE"], during["data"]["id"]) == "success"
    assert ready_without_redis == (
        200,
        {"status": "degraded", "checks": {"store": "up", "daraja": "up", "redis": "down"}},
    )
    assert relayed_after_outage["data"]["status"] == "success"
    assert from_c["data"]["status"] == "pending"
    assert readiness(b) == (200, {"status": "ready", "checks": {"store": "up", "daraja": "up", "redis": "up"}})


async def until_logged(gateway: Gateway, event: str, after_line: int, timeout: float = RESUME_SECONDS) -> int:
    """The number of lines of the gateway's log once a line after `after_line` names `event`."""
    deadline = time.monotonic() + timeout
    while True:
        lines = gateway.process.log_file.read_text(errors="replace").splitlines()
        if any(f'"{event}"' in line for line in lines[after_line:]):
            return len(lines)
        assert time.monotonic() < deadline, f"{event} not logged within {timeout} s"
        await asyncio.sleep(0.1)


def log_length(gateway: Gateway) -> int:
    return len(gateway.process.log_file.read_text(errors="replace").splitlines())


def statuses_of(client: SocketClient, record_id: str) -> list[str]:
    return [update["data"]["status"] for update in client.updates if update["data"]["id"] == record_id]


async def test_after_a_redis_outage_no_client_sees_an_older_state_nor_misses_what_the_relay_lost(
    workdir: Path,
    tls_files: tuple[Path, Path],
    redis: RedisServer,
    shared: dict[str, str],
    started: list[Gateway],
) -> None:
    # No reconciler: a push whose callback is lost stays pending, and only its own instance ever publishes it.
    b = start_gateway(workdir, *tls_files, WORKER_ENABLED="false", **shared)
    started.append(b)
    a = start_gateway(workdir, *tls_files, CALLBACK_BASE_URL=b.https, WORKER_ENABLED="false", **shared)
    started.append(a)
    path = f"/mpesa/stk/instances-{uuid.uuid4().hex[:8]}"

    async with (
        await SocketClient.connect(f"{a.wss}{path}", a.tls) as on_a,
        await SocketClient.connect(f"{b.wss}{path}", b.tls) as on_b,
    ):
        # A takes the push and holds its pending for Redis; B takes the callback and tells its client at once.
        redis.stop()
        settled = (await on_a.request(push(100)))["data"]["id"]
        await on_b.final_update(settled, SETTLED_SECONDS)
        logged = log_length(b)
        redis.start()
        await until_logged(b, "redis_recovered", logged)
        await until_logged(b, "ws_resync", logged)
        # B has re-read the store: this one reaches its client only through A's relay, after A's held pending.
        marker = (await on_a.request(push(CALLBACK_LOST)))["data"]["id"]
        await on_b.update_where(lambda data: data["id"] == marker, RESUME_SECONDS)

        # A takes a push during an outage and dies before Redis returns: its relay's backlog dies with it.
        redis.stop()
        lost = (await on_a.request(push(CALLBACK_LOST)))["data"]["id"]
        await on_a.update_where(lambda data: data["id"] == lost)
        a.process.kill()
        redis.start()
        from_the_store = await on_b.update_where(lambda data: data["id"] == lost, RESUME_SECONDS)

    assert statuses_of(on_b, settled) == ["success"]  # A's pending came after it, and was dropped
    assert statuses_of(on_b, marker) == ["pending"]
    assert from_the_store["data"]["status"] == "pending"
    assert statuses_of(on_b, lost) == ["pending"]


async def test_fifty_withdrawals_requested_on_two_instances_are_each_sent_once_and_reach_every_client(
    workdir: Path,
    tls_files: tuple[Path, Path],
    simulator: Simulator,
    shared: dict[str, str],
    started: list[Gateway],
) -> None:
    a = start_gateway(workdir, *tls_files, **shared)
    started.append(a)
    b = start_gateway(workdir, *tls_files, CALLBACK_BASE_URL=a.https, **shared)
    started.append(b)
    path = f"/mpesa/b2c/instances-{uuid.uuid4().hex[:8]}"

    async with (
        await SocketClient.connect(f"{a.wss}{path}", a.tls) as on_a,
        await SocketClient.connect(f"{b.wss}{path}", b.tls) as on_b,
    ):
        acks = await asyncio.gather(*(client.request(withdraw()) for client in [on_a, on_b] * 25))
        ids = [ack["data"]["id"] for ack in acks]
        outcomes = [
            await client.update_where(lambda data, wanted=wanted: data["id"] == wanted and data["status"] == "success")
            for client in (on_a, on_b)
            for wanted in ids
        ]

    assert all(ack["ok"] for ack in acks)
    assert len(set(ids)) == 50
    assert len(outcomes) == 100
    assert [simulator.b2c_requests(ack["data"]["originator_conversation_id"]) for ack in acks] == [1] * 50


async def test_a_standalone_worker_tells_the_gateways_clients_through_redis(
    workdir: Path,
    tls_files: tuple[Path, Path],
    simulator: Simulator,
    shared: dict[str, str],
    started: list[Gateway],
) -> None:
    gateway = start_gateway(workdir, *tls_files, WORKER_ENABLED="false", **shared)
    started.append(gateway)
    path = f"/mpesa/b2c/instances-{uuid.uuid4().hex[:8]}"
    environment = {
        **os.environ,
        **shared,
        "CALLBACK_BASE_URL": gateway.https,
        "WORKER_POLL_SECONDS": "0.2",
        "IDLE_POLL_MAX_SECONDS": "1",
    }

    with (workdir / "worker-redis.log").open("wb") as log:
        worker = subprocess.Popen(cli("worker"), env=environment, stdout=log, stderr=subprocess.STDOUT)  # noqa: ASYNC220
        try:
            async with await SocketClient.connect(f"{gateway.wss}{path}", gateway.tls) as client:
                ack = await client.request(withdraw())
                submitted = await client.update_where(
                    lambda data: data["id"] == ack["data"]["id"] and data["status"] == "submitted", SETTLED_SECONDS
                )
                await client.update_where(lambda data: data["id"] == ack["data"]["id"] and data["status"] == "success")
        finally:
            worker.send_signal(signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 20)

    assert submitted["data"]["conversation_id"]
    assert simulator.b2c_requests(ack["data"]["originator_conversation_id"]) == 1
    assert worker.returncode == 0


async def test_message_limits_are_counted_across_instances(
    workdir: Path, tls_files: tuple[Path, Path], shared: dict[str, str], started: list[Gateway]
) -> None:
    # A day-long window: no run of this test spans the end of one.
    limits = {"WS_MESSAGES_PER_HASH": "3", "WS_MESSAGE_WINDOW_SECONDS": "86400"}
    a = start_gateway(workdir, *tls_files, **limits, **shared)
    started.append(a)
    b = start_gateway(workdir, *tls_files, **limits, **shared)
    started.append(b)
    path = f"/mpesa/stk/instances-{uuid.uuid4().hex[:8]}"
    status = {"kind": "status", "payload": {"checkout": "ws_CO_not_a_payment"}}

    async with (
        await SocketClient.connect(f"{a.wss}{path}", a.tls) as on_a,
        await SocketClient.connect(f"{b.wss}{path}", b.tls) as on_b,
    ):
        answers = [await client.request(status) for client in (on_a, on_b, on_a, on_b)]

    assert [answer["error"]["code"] for answer in answers] == ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "RATE_LIMITED"]


def withdraw() -> dict[str, Any]:
    return {"kind": "withdraw", "payload": {"phone": fresh_phone(), "amount": 100, "description": "Scale out"}}
