"""Every STK scenario of the simulator ends in the state docs/simulator.md's scenario table documents."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from daraja_simulator.scenarios import SCENARIOS, Api
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import SocketClient
from tests.support.stk_outcomes import GATEWAY_OUTCOMES

STK_SCENARIOS = [scenario for scenario in SCENARIOS if scenario.api is Api.STK_PUSH]
# Long enough for the simulator (0.2 s callback delay) to have called back if it ever will.
QUIET_PERIOD = 1.5


def payment_in(refusal: dict[str, Any]) -> dict[str, Any]:
    """The payment a refused push still recorded, as the reply's error details carry it."""
    [payment] = [detail["payment"] for detail in refusal["error"]["details"] if "payment" in detail]
    return payment


def test_every_stk_scenario_has_a_documented_gateway_outcome() -> None:
    assert {scenario.name for scenario in STK_SCENARIOS} == set(GATEWAY_OUTCOMES)


@pytest.mark.parametrize("scenario", STK_SCENARIOS, ids=lambda scenario: scenario.name.replace(" ", "-"))
async def test_scenario_reaches_its_documented_state(gateway: Gateway, scenario) -> None:  # type: ignore[no-untyped-def]
    amount = scenario.amount or 100
    reply_code, final_status = GATEWAY_OUTCOMES[scenario.name]

    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/scenarios", gateway.tls) as client:
        ack = await client.request(
            {"kind": "push", "payload": {"phone": fresh_phone(), "amount": amount, "description": scenario.name}}
        )
        payment_id = ack["data"]["id"] if ack["ok"] else payment_in(ack)["id"]
        if final_status == "pending":
            await asyncio.sleep(QUIET_PERIOD)
        else:
            await client.final_update(payment_id)
        status = await client.request({"kind": "status", "payload": {"checkout": payment_id}})

    assert (ack["error"]["code"] if not ack["ok"] else None) == reply_code
    assert status["data"]["status"] == final_status
    assert {u["data"]["status"] for u in client.updates if u["data"]["id"] == payment_id} <= {"pending", final_status}
    if final_status == "success":
        assert status["data"]["receipt"]
    if final_status not in ("success", "pending"):
        assert status["data"]["result_code"] == str(scenario.result_code)
        assert status["data"]["message"]


@pytest.fixture(scope="module")
def impatient_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    """Gives Daraja 0.5 s to answer and closes sockets idle for 3 s."""
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE="e2e_impatient",
        DARAJA_BASE_URL=simulator.url,
        DARAJA_TIMEOUT="0.5",
        WS_IDLE_TIMEOUT="3",
    )
    yield gateway
    gateway.process.stop()


async def test_a_push_whose_answer_is_lost_is_settled_by_the_callback_and_never_sent_twice(
    impatient_gateway: Gateway, simulator: Simulator
) -> None:
    phone = fresh_phone()

    async with await SocketClient.connect(f"{impatient_gateway.wss}/mpesa/stk/slow", impatient_gateway.tls) as client:
        ack = await client.request(
            {"kind": "push", "payload": {"phone": phone, "amount": 9300, "description": "Slow Daraja"}}
        )
        payment = payment_in(ack)
        final = await client.final_update(payment["id"])

    assert ack["error"]["code"] == "PROVIDER_UNAVAILABLE"
    assert payment["status"] == "pending" and payment["outcome_unknown"] is True
    assert final["data"]["status"] == "success"
    assert final["data"]["checkout"].startswith("ws_CO_")
    assert final["data"]["outcome_unknown"] is False
    assert simulator.stats()["stk_push_requests"]["per_phone"][phone] == 1  # type: ignore[index]


async def test_a_socket_that_stays_silent_is_closed_after_the_idle_timeout(impatient_gateway: Gateway) -> None:
    async with await SocketClient.connect(f"{impatient_gateway.wss}/mpesa/stk/idle", impatient_gateway.tls) as client:
        await asyncio.wait_for(client.connection.wait_closed(), 10)

    assert client.connection.close_code == 1000
    assert client.connection.close_reason == "idle timeout"
