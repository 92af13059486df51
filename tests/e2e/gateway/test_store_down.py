"""With MongoDB unreachable, requests are refused with STORE_UNAVAILABLE and Daraja is never called; /ready says the
store is down while /health stays up; the gateway serves again by itself once the store is back.

The gateway here has a store of its own: stopping the session's `store` would break every other test.
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.local_process import free_port
from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import SocketClient

HASH = "store-down"
STORE_TIMEOUT_SECONDS = 1.0
# The gateway's store time-out plus room for a loaded machine: a refusal must come promptly, not eventually.
REFUSED_WITHIN = STORE_TIMEOUT_SECONDS + 4.0
BACK_WITHIN = 15.0


@pytest.fixture(scope="module")
def own_store(workdir: Path) -> Iterator[EmbeddedMongo]:
    # A fixed port, so the restarted server is where the gateway's client expects it.
    with EmbeddedMongo(workdir / "store-down", port=free_port()) as store:
        yield store


@pytest.fixture(scope="module")
def gateway_on_own_store(
    workdir: Path, tls_files: tuple[Path, Path], own_store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=own_store.url,
        MONGODB_DATABASE="store_down",
        MONGODB_TIMEOUT_SECONDS=str(STORE_TIMEOUT_SECONDS),
        DARAJA_BASE_URL=simulator.url,
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture
def store_down(gateway_on_own_store: Gateway, own_store: EmbeddedMongo) -> Iterator[EmbeddedMongo]:
    """The gateway's store, stopped; started again afterwards if the test did not."""
    own_store.stop()
    yield own_store
    if not own_store.running:
        own_store.start()


def push_payload() -> dict[str, object]:
    return {"phone": fresh_phone(), "amount": 10, "description": "Store down"}


def push_message() -> dict[str, object]:
    return {"kind": "push", "payload": push_payload()}


async def test_while_the_store_is_down_pushes_are_refused_and_nothing_reaches_daraja(
    gateway_on_own_store: Gateway, store_down: EmbeddedMongo, simulator: Simulator
) -> None:
    gateway = gateway_on_own_store
    daraja_calls = simulator.stk_push_count()

    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/{HASH}", gateway.tls) as client:
        started = time.monotonic()
        reply = await client.request(push_message())
        refused_after = time.monotonic() - started
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        http_push = await http.post("/api/v1/mpesa/stk/push", json={**push_payload(), "hash": HASH})
        health = await http.get("/health")
        ready = await http.get("/ready")

    assert reply["ok"] is False and reply["kind"] == "push"
    assert reply["error"]["code"] == "STORE_UNAVAILABLE"
    assert refused_after < REFUSED_WITHIN
    assert http_push.status_code == 503
    assert http_push.json()["error"]["code"] == "STORE_UNAVAILABLE"
    assert simulator.stk_push_count() == daraja_calls, "a push reached Daraja with the store down"
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready", "checks": {"store": "down", "daraja": "up"}}


async def test_the_gateway_serves_again_by_itself_once_the_store_is_back(
    gateway_on_own_store: Gateway, store_down: EmbeddedMongo
) -> None:
    gateway = gateway_on_own_store
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/{HASH}", gateway.tls) as client:
        refused = await client.request(push_message())

        store_down.start()
        await _until_the_store_answers(client)
        ack = await client.request(push_message())
        final = await client.final_update(ack["data"]["checkout"])
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        ready = await http.get("/ready")

    assert refused["error"]["code"] == "STORE_UNAVAILABLE"
    assert ack["ok"] is True, ack
    assert final["data"]["status"] == "success"
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"store": "up", "daraja": "up"}}


async def _until_the_store_answers(client: SocketClient) -> None:
    """A status read for an unknown checkout is NOT_FOUND once the store answers, STORE_UNAVAILABLE until then."""
    deadline = time.monotonic() + BACK_WITHIN
    while True:
        reply = await client.request({"kind": "status", "payload": {"checkout": "ws_CO_probe"}})
        if reply["error"]["code"] == "NOT_FOUND":
            return
        assert time.monotonic() < deadline, f"the gateway still cannot reach its store: {reply}"
        await asyncio.sleep(0.2)
