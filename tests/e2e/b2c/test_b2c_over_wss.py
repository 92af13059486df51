"""B2C withdrawals over wss://: queued durably, sent by the worker, settled by Daraja's Result."""

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import pymongo
import pytest

from daraja_simulator.scenarios import SCENARIOS, Api
from tests.support.b2c_outcomes import B2C_GATEWAY_OUTCOMES, WAITING_STATES
from tests.support.gateway_settings import B2C_DAILY_LIMIT
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator
from tests.support.socket_client import SocketClient

SEED_WITHDRAW = '{"kind":"withdraw","payload":{"phone":"254712345678","amount":500,"description":"Withdrawal request"}}'
B2C_SCENARIOS = [scenario for scenario in SCENARIOS if scenario.api is Api.B2C]
# Long enough for the simulator (0.2 s delay) to have sent a Result if it ever will.
QUIET_PERIOD = 1.5


def withdraw(amount: int, phone: str | None = None, description: str = "Withdrawal request") -> dict[str, Any]:
    return {
        "kind": "withdraw",
        "payload": {"phone": phone or fresh_phone(), "amount": amount, "description": description},
    }


def statuses_of(client: SocketClient, withdrawal_id: str) -> list[str]:
    return [update["data"]["status"] for update in client.updates if update["data"]["id"] == withdrawal_id]


async def settled(client: SocketClient, withdrawal_id: str) -> dict[str, Any]:
    return await client.update_where(lambda data: data["id"] == withdrawal_id and data["status"] not in WAITING_STATES)


async def test_seed_withdrawal_is_queued_submitted_and_paid(gateway: Gateway, simulator: Simulator) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/b2c/user456", gateway.tls) as client:
        ack = await client.send_text(SEED_WITHDRAW)
        withdrawal_id = ack["data"]["id"]
        submitted = await client.update_where(lambda d: d["id"] == withdrawal_id and d["status"] == "submitted")
        final = await settled(client, withdrawal_id)

    assert ack["kind"] == "withdraw" and ack["ok"] is True
    assert ack["data"]["status"] == "queued"
    assert submitted["topic"] == "/mpesa/b2c/user456"
    assert submitted["data"]["conversation_id"].startswith("AG_")
    assert submitted["data"]["originator_conversation_id"] == ack["data"]["originator_conversation_id"]
    assert final["data"]["status"] == "success"
    assert final["data"]["receipt"]
    assert final["data"]["amount"] == 500
    assert final["data"]["recipient_name"]
    assert datetime.fromisoformat(final["data"]["completed_at"]).utcoffset() == timedelta(0)
    assert statuses_of(client, withdrawal_id) == ["queued", "submitted", "success"]
    assert simulator.b2c_requests(ack["data"]["originator_conversation_id"]) == 1


def test_every_b2c_scenario_has_a_documented_gateway_outcome() -> None:
    assert {scenario.name for scenario in B2C_SCENARIOS} == set(B2C_GATEWAY_OUTCOMES)


@pytest.mark.parametrize("scenario", B2C_SCENARIOS, ids=lambda scenario: scenario.name.replace(" ", "-"))
async def test_b2c_scenario_reaches_its_state_and_every_client_sees_each_step(
    gateway: Gateway,
    simulator: Simulator,
    scenario,  # type: ignore[no-untyped-def]
) -> None:
    expected = B2C_GATEWAY_OUTCOMES[scenario.name]
    # `after=` asks for a `caught_up` when the socket's catch-up is done: until then a socket may still read the
    # withdrawal from the store as it is by then (claimed by the worker, a newer version still queued), and that is
    # a state the other socket never had to see.
    url = f"{gateway.wss}/mpesa/b2c/scenario-{scenario.name.replace(' ', '-')}?after="

    async with (
        await SocketClient.connect(url, gateway.tls) as client,
        await SocketClient.connect(url, gateway.tls) as watcher,
    ):
        await asyncio.gather(client.next_caught_up(), watcher.next_caught_up())
        ack = await client.request(withdraw(scenario.amount or 700, description=scenario.name))
        withdrawal_id = ack["data"]["id"]
        if expected in WAITING_STATES:
            await client.update_where(lambda d: d["id"] == withdrawal_id and d["status"] == expected)
            await asyncio.sleep(QUIET_PERIOD)
        else:
            await settled(client, withdrawal_id)
            await settled(watcher, withdrawal_id)

    assert ack["ok"] is True
    seen = statuses_of(client, withdrawal_id)
    assert seen[-1] == expected
    assert statuses_of(watcher, withdrawal_id) == seen
    assert seen[0] == "queued"
    assert simulator.b2c_requests(ack["data"]["originator_conversation_id"]) == 1


def push_withdraw(**payload: object) -> str:
    base: dict[str, object] = {"phone": "254700000002", "amount": 100, "description": "Bad withdrawal"}
    return json.dumps({"kind": "withdraw", "payload": {**base, **payload}})


BAD_WITHDRAWALS = [
    pytest.param("{nope", "INVALID_JSON", id="invalid-json"),
    pytest.param("[]", "INVALID_JSON", id="json-array"),
    pytest.param('{"kind":"push","payload":{}}', "UNKNOWN_KIND", id="stk-kind-on-b2c"),
    pytest.param('{"kind":"withdraw"}', "VALIDATION_ERROR", id="missing-payload"),
    pytest.param(push_withdraw(extra=1), "VALIDATION_ERROR", id="extra-field"),
    pytest.param(push_withdraw(phone="0712"), "VALIDATION_ERROR", id="phone-0712"),
    pytest.param(push_withdraw(phone="254812345678"), "VALIDATION_ERROR", id="phone-254812345678"),
    pytest.param(push_withdraw(amount=0), "VALIDATION_ERROR", id="amount-0"),
    pytest.param(push_withdraw(amount=-5), "VALIDATION_ERROR", id="amount-negative"),
    pytest.param(push_withdraw(amount=1.5), "VALIDATION_ERROR", id="amount-fraction"),
    pytest.param(push_withdraw(amount="100"), "VALIDATION_ERROR", id="amount-string"),
    pytest.param(push_withdraw(amount=True), "VALIDATION_ERROR", id="amount-bool"),
    pytest.param(push_withdraw(description="x" * 2000), "VALIDATION_ERROR", id="description-2000-chars"),
    pytest.param(push_withdraw(amount=9), "LIMIT_EXCEEDED", id="below-b2c-minimum"),
    pytest.param(push_withdraw(amount=250_001), "LIMIT_EXCEEDED", id="above-b2c-maximum"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_WITHDRAWALS)
async def test_bad_withdrawal_gets_its_error_code_and_nothing_is_queued_or_sent(
    gateway: Gateway,
    simulator: Simulator,
    withdrawals: pymongo.collection.Collection,  # type: ignore[type-arg]
    frame: str,
    code: str,
) -> None:
    queued_before, sent_before = withdrawals.count_documents({}), simulator.b2c_request_count()

    async with await SocketClient.connect(f"{gateway.wss}/mpesa/b2c/bad-b2c", gateway.tls) as client:
        reply = await client.send_text(frame)

    assert reply["ok"] is False
    assert reply["error"]["code"] == code
    assert withdrawals.count_documents({}) == queued_before
    assert simulator.b2c_request_count() == sent_before


async def test_the_daily_total_per_hash_is_enforced_before_anything_is_queued(
    gateway: Gateway,
    withdrawals: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/b2c/daily-total", gateway.tls) as client:
        first = await client.request(withdraw(B2C_DAILY_LIMIT - 100))
        queued_after_first = withdrawals.count_documents({})
        over = await client.request(withdraw(200))
        within = await client.request(withdraw(100))

    assert first["ok"] is True
    assert over["error"]["code"] == "LIMIT_EXCEEDED"
    assert within["ok"] is True
    assert withdrawals.count_documents({}) == queued_after_first + 1
