"""The same idempotency key on the same hash returns the original payment and never reaches Daraja twice."""

import asyncio
from typing import Any

import httpx

from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator
from tests.support.socket_client import SocketClient


def push(phone: str, ref: str, amount: int = 120) -> dict[str, Any]:
    return {"kind": "push", "payload": {"phone": phone, "amount": amount, "description": "Idempotent"}, "ref": ref}


def per_phone(simulator: Simulator, phone: str) -> int:
    return simulator.stats()["stk_push_requests"]["per_phone"].get(phone, 0)  # type: ignore[index,no-any-return]


async def test_a_repeated_push_returns_the_original_and_prompts_once(gateway: Gateway, simulator: Simulator) -> None:
    phone = fresh_phone()

    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/idem", gateway.tls) as client:
        first = await client.request(push(phone, "order-1"))
        again = await client.request(push(phone, "order-1"))
        other_body = await client.request(push(phone, "order-1", amount=121))

    assert again["ok"] is True
    assert again["data"]["id"] == first["data"]["id"]
    assert other_body["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert per_phone(simulator, phone) == 1


async def test_two_identical_pushes_at_the_same_moment_prompt_once(gateway: Gateway, simulator: Simulator) -> None:
    phone = fresh_phone()
    url = f"{gateway.wss}/mpesa/stk/idem-race"

    async with await SocketClient.connect(url, gateway.tls) as one, await SocketClient.connect(url, gateway.tls) as two:
        replies = await asyncio.gather(one.request(push(phone, "race")), two.request(push(phone, "race")))

    assert [reply["ok"] for reply in replies] == [True, True]
    assert replies[0]["data"]["id"] == replies[1]["data"]["id"]
    assert per_phone(simulator, phone) == 1


async def test_the_http_idempotency_key_and_the_socket_ref_share_one_key_space(
    gateway: Gateway, simulator: Simulator
) -> None:
    phone = fresh_phone()
    body = {"phone": phone, "amount": 120, "description": "Idempotent", "hash": "idem-http"}

    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls) as http:
        first = await http.post("/api/v1/mpesa/stk/push", json=body, headers={"Idempotency-Key": "invoice-7"})
        again = await http.post("/api/v1/mpesa/stk/push", json=body, headers={"Idempotency-Key": "invoice-7"})
        too_long = await http.post("/api/v1/mpesa/stk/push", json=body, headers={"Idempotency-Key": "k" * 129})
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/idem-http", gateway.tls) as client:
        over_socket = await client.request(push(phone, "invoice-7"))

    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert over_socket["data"]["id"] == first.json()["data"]["id"]
    assert too_long.status_code == 400
    assert per_phone(simulator, phone) == 1


async def test_a_repeated_withdrawal_is_queued_and_paid_once(gateway: Gateway, simulator: Simulator) -> None:
    message = {
        "kind": "withdraw",
        "payload": {"phone": fresh_phone(), "amount": 300, "description": "Idempotent payout"},
        "ref": "payout-1",
    }

    async with await SocketClient.connect(f"{gateway.wss}/mpesa/b2c/idem", gateway.tls) as client:
        first = await client.request(message)
        again = await client.request(message)
        await client.update_where(lambda d: d["id"] == first["data"]["id"] and d["status"] == "success")

    assert again["data"]["id"] == first["data"]["id"]
    assert simulator.b2c_requests(first["data"]["originator_conversation_id"]) == 1
