"""The live C2B socket and the C2B events end to end: a till screen on `/mpesa/c2b/{hash}` sees the payment request
its backend created, the simulated customer's payment, and the request settled by it, as they happen (another hash
sees none); the event feed shows every payment received and the request paid."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import SocketClient

SECRET = "c2b-socket-secret-0123456789abcdef0123"
OPERATOR = "c2b-socket-operator-0123456789abcdef"
OPERATOR_HEADERS = {"Authorization": f"Bearer {OPERATOR}"}


async def _create_request(http: httpx.AsyncClient, hash_: str, reference: str, amount: int) -> str:
    created = await http.post(
        "/api/v1/mpesa/c2b/requests",
        json={
            "hash": hash_,
            "account_reference": reference,
            "amount_rule": "exact",
            "amount": amount,
            "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    request_id: str = created.json()["data"]["id"]
    return request_id


@pytest.fixture(scope="module")
def c2b_socket_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE="c2b_socket_e2e",
        DARAJA_BASE_URL=simulator.url,
        C2B_HOOK_SECRET=SECRET,
        OPERATOR_TOKEN=OPERATOR,
        BALANCE_CHECK_INTERVAL_SECONDS="0",
    )
    yield gateway
    gateway.process.stop()


async def test_a_till_screen_sees_the_request_the_payment_and_the_request_paid_live(
    c2b_socket_gateway: Gateway, simulator: Simulator
) -> None:
    gateway = c2b_socket_gateway
    async with (
        httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
        await SocketClient.connect(f"{gateway.wss}/mpesa/c2b/till-7", gateway.tls) as till,
        await SocketClient.connect(f"{gateway.wss}/mpesa/c2b/another-till", gateway.tls) as other,
    ):
        registered = await http.post(
            "/api/v1/operator/c2b/register-urls", headers={"Authorization": f"Bearer {OPERATOR}"}
        )
        assert registered.status_code == 200, registered.text
        created = await http.post(
            "/api/v1/mpesa/c2b/requests",
            json={
                "hash": "till-7",
                "account_reference": "TILL7-001",
                "amount_rule": "exact",
                "amount": 320,
                "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["data"]["id"]
        opened = await till.update_where(lambda data: data.get("id") == request_id)

        paid = await sim.post("/simulator/c2b/pay", json={"account": "till7-001", "amount": 320})
        trans_id = paid.json()["trans_id"]
        payment = await till.update_where(lambda data: data.get("trans_id") == trans_id)
        settled = await till.update_where(lambda data: data.get("id") == request_id and data["status"] != "open")
        refused = await till.request({"kind": "push", "payload": {}})
        await asyncio.sleep(0.3)  # time for a wrongly routed update to reach the other socket

    assert opened["topic"] == "/mpesa/c2b/till-7"
    assert (opened["data"]["kind"], opened["data"]["status"], opened["data"]["outstanding"]) == (
        "c2b_request",
        "open",
        320,
    )
    assert payment["data"]["kind"] == "c2b_payment"
    assert (payment["data"]["amount"], payment["data"]["match"]) == (320, "applied")
    assert payment["data"]["request_id"] == request_id
    assert (settled["data"]["status"], settled["data"]["received"]) == ("paid", 320)
    assert [c["trans_id"] for c in settled["data"]["confirmations"]] == [trans_id]
    # Updates arrive in the order they happened: the request, the payment, then what it settled.
    order = [u["data"].get("trans_id") or u["data"]["status"] for u in till.updates]
    assert order == ["open", trans_id, "paid"]
    assert (refused["ok"], refused["error"]["code"]) == (False, "UNKNOWN_KIND")
    assert refused["error"]["message"] == "this socket only listens"
    assert other.updates == []


async def test_the_event_feed_shows_each_payment_received_and_the_request_it_paid(
    c2b_socket_gateway: Gateway, simulator: Simulator
) -> None:
    gateway = c2b_socket_gateway
    async with (
        httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
    ):
        assert (await http.post("/api/v1/operator/c2b/register-urls", headers=OPERATOR_HEADERS)).status_code == 200
        request_id = await _create_request(http, "till-events", "EVT-0001", 90)
        first = (await sim.post("/simulator/c2b/pay", json={"account": "EVT-0001", "amount": 40})).json()
        second = (await sim.post("/simulator/c2b/pay", json={"account": "EVT-0001", "amount": 50})).json()
        stray = (await sim.post("/simulator/c2b/pay", json={"account": "NOBODY-77", "amount": 15})).json()
        receipts = {first["trans_id"], second["trans_id"], stray["trans_id"]}
        async with asyncio.timeout(15):
            while True:
                feed = (await http.get("/api/v1/events", params={"type": "c2b.*"})).json()["data"]
                ours = [e for e in feed if e["data"].get("trans_id") in receipts or e["data"].get("id") == request_id]
                if len(ours) >= 4:
                    break
                await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # time for a wrongly repeated event to show
        again = (await http.get("/api/v1/events", params={"type": "c2b.*"})).json()["data"]

    # The feed orders records by their last change: a payment and the request it settled share that moment.
    assert sorted(e["type"] for e in ours) == ["c2b.payment.received"] * 3 + ["c2b.request.paid"]
    received = {e["data"]["trans_id"]: e["data"] for e in ours if e["type"] == "c2b.payment.received"}
    assert received[first["trans_id"]]["match"] == "applied"
    assert received[stray["trans_id"]]["match"] == "unknown_reference"  # money no request expected is news too
    [paid] = [e["data"] for e in ours if e["type"] == "c2b.request.paid"]
    assert (paid["id"], paid["status"], paid["received"]) == (request_id, "paid", 90)
    assert len([e for e in again if e["id"] in {o["id"] for o in ours}]) == 4
    assert len({e["id"] for e in again}) == len(again)


async def test_a_screen_opening_its_socket_is_sent_the_open_requests_of_its_hash_first(
    c2b_socket_gateway: Gateway, simulator: Simulator
) -> None:
    gateway = c2b_socket_gateway
    async with (
        httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
    ):
        assert (await http.post("/api/v1/operator/c2b/register-urls", headers=OPERATOR_HEADERS)).status_code == 200
        waiting = await _create_request(http, "till-reopen", "OPEN-0001", 75)
        await _create_request(http, "till-reopen", "OPEN-0002", 20)  # paid below: closed before the screen opens
        await sim.post("/simulator/c2b/pay", json={"account": "OPEN-0002", "amount": 20})
        async with await SocketClient.connect(f"{gateway.wss}/mpesa/c2b/till-reopen", gateway.tls) as screen:
            shown = await screen.update_where(lambda data: data.get("id") == waiting)
            await asyncio.sleep(0.3)  # time for a closed request to be sent wrongly

    assert (shown["data"]["status"], shown["data"]["outstanding"]) == ("open", 75)
    assert [u["data"]["id"] for u in screen.updates] == [waiting]
    assert screen.caught_up == []  # it asked for no cursor (no `after`)


async def test_a_screen_resuming_by_cursor_is_sent_the_request_paid_while_it_was_away(
    c2b_socket_gateway: Gateway, simulator: Simulator
) -> None:
    gateway = c2b_socket_gateway
    url = f"{gateway.wss}/mpesa/c2b/till-resume"
    async with (
        httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
    ):
        assert (await http.post("/api/v1/operator/c2b/register-urls", headers=OPERATOR_HEADERS)).status_code == 200
        request_id = await _create_request(http, "till-resume", "AWAY-0001", 60)
        async with await SocketClient.connect(f"{url}?after=", gateway.tls) as screen:
            await screen.update_where(lambda data: data.get("id") == request_id)
            cursor = await _caught_up_cursor(screen)
        await sim.post("/simulator/c2b/pay", json={"account": "AWAY-0001", "amount": 60})  # while it is away
        async with await SocketClient.connect(f"{url}?after={cursor}", gateway.tls) as back:
            paid = await back.update_where(lambda data: data.get("id") == request_id and data["status"] == "paid")
            resumed_at = await _caught_up_cursor(back)

    assert (paid["data"]["received"], paid["data"]["outstanding"]) == (60, 0)
    assert resumed_at != cursor


async def _caught_up_cursor(screen: SocketClient) -> str:
    for _ in range(100):
        if screen.caught_up:
            cursor: str = screen.caught_up[-1]["data"]["cursor"]
            return cursor
        await asyncio.sleep(0.05)
    raise AssertionError("no caught_up message within 5 s")
