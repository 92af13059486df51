import json

import httpx
import pytest

from tests.support.phones import fresh_phone
from tests.support.processes import Gateway
from tests.support.socket_client import SocketClient

SEED_PUSH = '{"kind":"push","payload":{"phone":"254712345678","amount":100,"description":"Payment for services"}}'


async def test_seed_push_is_acknowledged_then_settled_and_status_reads_the_stored_state(gateway: Gateway) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/user123", gateway.tls) as client:
        ack = await client.send_text(SEED_PUSH)
        checkout = ack["data"]["checkout"]
        final = await client.final_update(checkout)
        status = await client.send_text(json.dumps({"kind": "status", "payload": {"checkout": checkout}}))

    # Compressed, and with no window kept per socket by either end (an idle socket holds no zlib state).
    extension = client.connection.response.headers["Sec-WebSocket-Extensions"]
    assert extension.startswith("permessage-deflate")
    assert "server_no_context_takeover" in extension and "client_no_context_takeover" in extension
    assert ack["kind"] == "push" and ack["ok"] is True
    assert checkout.startswith("ws_CO_")
    assert ack["data"]["status"] == "pending"
    assert final["topic"] == "/mpesa/user123"
    assert final["data"]["status"] == "success"
    assert final["data"]["receipt"]
    assert final["data"]["result_code"] == "0"
    assert status["ok"] is True and status["kind"] == "status"
    assert status["data"] == final["data"]


async def test_every_client_on_a_hash_gets_the_update(gateway: Gateway) -> None:
    url = f"{gateway.wss}/mpesa/stk/shared-hash"
    async with (
        await SocketClient.connect(url, gateway.tls) as payer,
        await SocketClient.connect(url, gateway.tls) as watcher,
    ):
        ack = await payer.request(
            {"kind": "push", "payload": {"phone": fresh_phone(), "amount": 50, "description": "Two tabs"}}
        )
        checkout = ack["data"]["checkout"]
        seen_by_payer = await payer.final_update(checkout)
        seen_by_watcher = await watcher.final_update(checkout)

    assert seen_by_payer["data"] == seen_by_watcher["data"]
    assert seen_by_watcher["data"]["status"] == "success"


async def test_clients_on_another_hash_get_nothing(gateway: Gateway) -> None:
    async with (
        await SocketClient.connect(f"{gateway.wss}/mpesa/stk/payer-hash", gateway.tls) as payer,
        await SocketClient.connect(f"{gateway.wss}/mpesa/stk/other-hash", gateway.tls) as other,
    ):
        ack = await payer.request(
            {"kind": "push", "payload": {"phone": fresh_phone(), "amount": 60, "description": "Private"}}
        )
        await payer.final_update(ack["data"]["checkout"])
        await other.request({"kind": "status", "payload": {"checkout": "ws_CO_none"}})

    assert other.updates == []


async def test_ref_is_echoed_in_the_reply(gateway: Gateway) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/ref-hash", gateway.tls) as client:
        reply = await client.request({"kind": "status", "payload": {"checkout": "ws_CO_missing"}, "ref": "r-42"})

    assert reply["ref"] == "r-42"
    assert reply["error"]["code"] == "NOT_FOUND"


async def test_http_push_reaches_clients_on_the_hash(gateway: Gateway) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/server-hash", gateway.tls) as client:
        async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls) as http:
            response = await http.post(
                "/api/v1/mpesa/stk/push",
                json={"phone": fresh_phone(), "amount": 75, "description": "From a server", "hash": "server-hash"},
            )
        checkout = response.json()["data"]["checkout"]
        final = await client.final_update(checkout)

    assert response.status_code == 201
    assert response.json()["ok"] is True
    assert final["data"]["status"] == "success"
    assert final["topic"] == "/mpesa/server-hash"


@pytest.mark.parametrize("phone", ["0712345679", "712345679", "+254712345679", "0112345679"])
async def test_local_phone_forms_are_normalised(gateway: Gateway, phone: str) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/forms", gateway.tls) as client:
        ack = await client.request({"kind": "push", "payload": {"phone": phone, "amount": 11, "description": "Form"}})
        await client.final_update(ack["data"]["checkout"])

    assert ack["data"]["phone"] == "254" + phone.removeprefix("+254").removeprefix("0")[-9:]
