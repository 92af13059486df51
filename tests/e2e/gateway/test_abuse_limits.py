"""Limits against abuse: each refusal is RATE_LIMITED with a retry-after, and nothing is stored or sent."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest
import websockets

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import WAIT_SECONDS, SocketClient

DATABASE = "abuse_limits"
CALLBACK_LOST = 9100  # the simulator's scenario: the payment stays pending


@pytest.fixture(scope="module")
def limited(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        STK_ONE_PENDING_PER_PHONE="true",
        STK_PROMPTS_PER_PHONE="2",
        WS_MAX_SOCKETS_PER_HASH="2",
        WS_MESSAGES_PER_HASH="5",
        WS_MESSAGE_WINDOW_SECONDS="86400",  # one window for the whole module: no boundary mid-test
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def stored(store: EmbeddedMongo) -> Iterator[pymongo.collection.Collection]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]["stk_payments"]
    client.close()


def push(phone: str, amount: int = 100) -> dict[str, Any]:
    return {"kind": "push", "payload": {"phone": phone, "amount": amount, "description": "Abuse limits"}}


def assert_rate_limited(reply: dict[str, Any], at_most: int) -> None:
    assert reply["ok"] is False
    assert reply["error"]["code"] == "RATE_LIMITED"
    assert 0 < reply["error"]["details"][0]["retry_after"] <= at_most


async def test_a_phone_with_a_pending_prompt_gets_no_second_one(
    limited: Gateway,
    simulator: Simulator,
    stored: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    phone = fresh_phone()
    async with await SocketClient.connect(f"{limited.wss}/mpesa/stk/pending-phone", limited.tls) as client:
        first = await client.request(push(phone, CALLBACK_LOST))
        records, daraja_calls = stored.count_documents({}), simulator.stk_push_count()

        second = await client.request(push("0" + phone[3:]))

    assert first["ok"] is True
    assert_rate_limited(second, 120)
    assert stored.count_documents({}) == records
    assert simulator.stk_push_count() == daraja_calls


async def test_past_the_prompts_per_window_a_phone_is_refused(limited: Gateway) -> None:
    phone = fresh_phone()
    async with await SocketClient.connect(f"{limited.wss}/mpesa/stk/busy-phone", limited.tls) as client:
        for _ in range(2):
            accepted = await client.request(push(phone))
            await client.final_update(accepted["data"]["checkout"])

        third = await client.request(push(phone))

    assert_rate_limited(third, 3600)


def test_an_http_push_refused_by_a_limit_is_429_with_retry_after(limited: Gateway) -> None:
    phone = fresh_phone()
    body = {"phone": phone, "amount": CALLBACK_LOST, "description": "Abuse limits", "hash": "http-limits"}
    with limited.http() as http:
        first = http.post("/api/v1/mpesa/stk/push", json=body)
        second = http.post("/api/v1/mpesa/stk/push", json={**body, "amount": 100})

    assert first.status_code == 201
    assert second.status_code == 429
    assert_rate_limited(second.json(), 120)
    assert second.headers["Retry-After"] == str(second.json()["error"]["details"][0]["retry_after"])


async def test_a_socket_past_the_per_hash_cap_is_closed_with_1013(limited: Gateway) -> None:
    url = f"{limited.wss}/mpesa/stk/crowded"
    async with await SocketClient.connect(url, limited.tls), await SocketClient.connect(url, limited.tls):
        third = await websockets.connect(url, ssl=limited.tls, open_timeout=WAIT_SECONDS)
        await asyncio.wait_for(third.wait_closed(), WAIT_SECONDS)

    assert third.close_code == 1013
    assert third.close_reason.startswith("RATE_LIMITED: ")
    # The places are free again once the gateway has seen the two closes (a moment after the client has).
    async with await _admitted_within(url, limited, WAIT_SECONDS) as again:
        assert (await again.request({"kind": "status", "payload": {"checkout": "ws_CO_x"}}))["error"]["code"] == (
            "NOT_FOUND"
        )


async def _admitted_within(url: str, gateway: Gateway, seconds: float) -> SocketClient:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        client = await SocketClient.connect(url, gateway.tls)
        try:
            await client.connection.ping()
            return client
        except websockets.ConnectionClosed:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_messages_past_the_per_hash_limit_are_refused_and_the_socket_stays_open(limited: Gateway) -> None:
    status = {"kind": "status", "payload": {"checkout": "ws_CO_x"}, "ref": "r"}
    async with await SocketClient.connect(f"{limited.wss}/mpesa/stk/chatty", limited.tls) as client:
        answered = [await client.request(status) for _ in range(5)]
        refused = await client.request(status)
        await client.connection.ping()

    assert {reply["error"]["code"] for reply in answered} == {"NOT_FOUND"}
    assert refused["kind"] == "status" and refused["ref"] == "r"
    assert_rate_limited(refused, 86400)


async def test_of_concurrent_pushes_to_one_phone_exactly_one_prompts_and_the_next_waits_until_it_is_final(
    limited: Gateway, simulator: Simulator
) -> None:
    phone, pushes = fresh_phone(), 8
    body = {"phone": phone, "amount": 100, "description": "Concurrent", "hash": "concurrent-pushes"}
    async with (
        await SocketClient.connect(f"{limited.wss}/mpesa/stk/concurrent-pushes", limited.tls) as client,
        httpx.AsyncClient(base_url=limited.https, verify=limited.tls, timeout=WAIT_SECONDS) as http,
    ):
        answers = await asyncio.gather(*(http.post("/api/v1/mpesa/stk/push", json=body) for _ in range(pushes)))
        prompted = [answer.json()["data"] for answer in answers if answer.status_code == 201]
        refused = [answer.json() for answer in answers if answer.status_code == 429]
        await client.final_update(prompted[0]["checkout"])
        after_it_is_final = await http.post("/api/v1/mpesa/stk/push", json=body)

    assert (len(prompted), len(refused)) == (1, pushes - 1)
    # Each refused, by the open prompt or, for those counted past STK_PROMPTS_PER_PHONE at the same instant, by the
    # window; none of them uses up the window, so the phone is not locked out once the prompt is final.
    for refusal in refused:
        assert_rate_limited(refusal, 3600)
    assert after_it_is_final.status_code == 201
    assert simulator.stats()["stk_push_requests"]["per_phone"][phone] == 2  # type: ignore[index]
