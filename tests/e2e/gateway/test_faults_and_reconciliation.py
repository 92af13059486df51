"""Daraja's and the gateway's worst days: lost callbacks, a failing Daraja, a killed process.

Every test ends by checking the ledger over the whole store: no payment was sent to Daraja twice, every request
Daraja received has exactly one record, every record is final unless Daraja was made never to answer, and no
final state ever changed.
"""

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest

from adapters.local_process import free_port
from adapters.mongo.embedded_server import EmbeddedMongo
from tests.simulator.fault_controls import clear_faults, requests_to, set_faults
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway, start_simulator
from tests.support.socket_client import SocketClient

DATABASE = "e2e_faults"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
CALLBACK_LOST = 9100  # STK: accepted, paid, no callback. B2C: paid, no Result.
DARAJA_SLOW = 9300  # the synchronous answer comes after SIM_SLOW_SECONDS
SETTLE_SECONDS = 30.0
FINAL_STK = {"success", "failed", "cancelled", "timeout"}
FINAL_B2C = {"success", "failed", "rejected"}
# Quick reconciliation, and a breaker that opens after three failures and tries again after a second. Checks back
# off up to 8 s: a Transaction Status answer counts only while its query is the open one, so some query must stay
# open longer than the simulator takes to answer (SIM_CALLBACK_DELAY, up to 5 s here).
FAST = {
    "MONGODB_DATABASE": DATABASE,
    "STK_FIRST_CHECK_SECONDS": "1",
    "B2C_FIRST_CHECK_SECONDS": "1",
    "RECONCILE_POLL_SECONDS": "0.3",
    "RECONCILE_MAX_DELAY_SECONDS": "8",
    "WORKER_POLL_SECONDS": "0.2",
    "DARAJA_BREAKER_FAILURES": "3",
    "DARAJA_BREAKER_RESET_SECONDS": "1",
}


@pytest.fixture(scope="module")
def daraja(workdir: Path) -> Iterator[Simulator]:
    """A simulator of this module's own, so its faults touch no other test. Callbacks come 2 s after a request:
    time enough for a killed gateway to be back before they arrive."""
    simulator = start_simulator(workdir, SIM_CALLBACK_DELAY="2", SIM_SLOW_SECONDS="1")
    yield simulator
    simulator.process.stop()


@pytest.fixture(scope="module")
def ledger(store: EmbeddedMongo) -> Iterator[pymongo.database.Database]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]
    client.close()


@pytest.fixture(scope="module")
def resilient_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, daraja: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(workdir, *tls_files, MONGODB_URL=store.url, DARAJA_BASE_URL=daraja.url, **FAST)
    yield gateway
    gateway.process.stop()


def push(amount: int, phone: str | None = None, ref: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "kind": "push",
        "payload": {"phone": phone or fresh_phone(), "amount": amount, "description": "Worst day"},
    }
    return message if ref is None else {**message, "ref": ref}


def withdraw(amount: int) -> dict[str, Any]:
    return {"kind": "withdraw", "payload": {"phone": fresh_phone(), "amount": amount, "description": "Worst day"}}


def wait_until(condition: Any, seconds: float = SETTLE_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the ledger to settle"
        time.sleep(0.25)


def assert_ledger_holds(ledger: pymongo.database.Database, daraja: Simulator, never_answered: set[str]) -> None:  # type: ignore[type-arg]
    """The invariants of the issue, over every record of the store."""
    stats = daraja.stats()
    prompts: dict[str, int] = stats["stk_push_requests"]["per_phone"]  # type: ignore[index]
    payouts: dict[str, int] = stats["b2c_payment_requests"]["per_originator_conversation_id"]  # type: ignore[index]
    payments = list(ledger["stk_payments"].find())
    withdrawals = list(ledger["b2c_withdrawals"].find())

    assert all(count == 1 for count in prompts.values()), "a phone was prompted twice"
    assert all(count == 1 for count in payouts.values()), "a payout was sent twice"
    for phone in prompts:
        assert sum(payment["phone"] == phone for payment in payments) == 1, f"prompt to {phone} has no single record"
    for originator in payouts:
        matching = [w for w in withdrawals if w["originator_conversation_id"] == originator]
        assert len(matching) == 1, f"payout {originator} has no single record"
    for record in payments + withdrawals:
        if record["phone"] in never_answered:
            continue
        final = FINAL_STK if "payment_id" in record else FINAL_B2C
        assert record["status"] in final, f"{record['phone']} is still {record['status']}"
        statuses = [change["status"] for change in record["history"]]
        first_final = next(i for i, status in enumerate(statuses) if status in final)
        assert set(statuses[first_final:]) == {record["status"]}, f"a final state changed: {statuses}"


async def test_a_lost_stk_callback_is_settled_by_query_and_a_lost_b2c_result_by_transaction_status(
    resilient_gateway: Gateway,
    daraja: Simulator,
    ledger: pymongo.database.Database,  # type: ignore[type-arg]
) -> None:
    async with (
        await SocketClient.connect(f"{resilient_gateway.wss}/mpesa/stk/lost", resilient_gateway.tls) as payer,
        await SocketClient.connect(f"{resilient_gateway.wss}/mpesa/b2c/lost", resilient_gateway.tls) as payee,
    ):
        payment = (await payer.request(push(CALLBACK_LOST)))["data"]
        withdrawal = (await payee.request(withdraw(CALLBACK_LOST)))["data"]
        paid = await payer.final_update(payment["id"], timeout=SETTLE_SECONDS)
        paid_out = await payee.update_where(
            lambda d: d["id"] == withdrawal["id"] and d["status"] == "success", timeout=SETTLE_SECONDS
        )

    assert paid["data"]["status"] == "success"
    assert paid["data"]["receipt"] is None  # an STK query reports no receipt
    assert paid_out["data"]["receipt"]
    causes = [change["cause"] for change in ledger["stk_payments"].find_one({"payment_id": payment["id"]})["history"]]
    assert causes == ["request", "daraja_answer", "query"]
    assert_ledger_holds(ledger, daraja, never_answered=set())


async def test_a_failing_daraja_opens_the_breaker_which_answers_at_once_then_closes_when_daraja_recovers(
    resilient_gateway: Gateway,
    daraja: Simulator,
    ledger: pymongo.database.Database,  # type: ignore[type-arg]
) -> None:
    set_faults(daraja.url, path=STK_PUSH_PATH, fail_next=100, status=503)
    async with await SocketClient.connect(
        f"{resilient_gateway.wss}/mpesa/stk/breaker", resilient_gateway.tls
    ) as client:
        failing = [await client.request(push(100)) for _ in range(3)]
        reached_before = requests_to(daraja.url, STK_PUSH_PATH)
        refused_at_once = await client.request(push(100))
        reached_after = requests_to(daraja.url, STK_PUSH_PATH)
        clear_faults(daraja.url)
        await asyncio.sleep(1.2)  # the breaker's reset time
        recovered = await client.request(push(100))
        settled = await client.final_update(recovered["data"]["id"], timeout=SETTLE_SECONDS)

    assert [reply["error"]["code"] for reply in failing] == ["PROVIDER_UNAVAILABLE"] * 3
    assert refused_at_once["error"]["code"] == "PROVIDER_UNAVAILABLE"
    assert reached_after == reached_before, "an open breaker still sent the request"
    assert settled["data"]["status"] == "success"
    # The three 503s were answered without processing: Daraja never saw them, so nothing is owed on them.
    never_answered = {reply["error"]["details"][0]["payment"]["phone"] for reply in failing}
    assert_ledger_holds(ledger, daraja, never_answered=never_answered)


async def test_a_gateway_killed_mid_traffic_loses_and_doubles_nothing(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo
) -> None:
    # A simulator and a database of its own, so the ledger it checks holds exactly this test's traffic. Callbacks
    # come 5 s after a request: after the killed gateway is back at the address Daraja was given.
    daraja = start_simulator(workdir, SIM_CALLBACK_DELAY="5", SIM_SLOW_SECONDS="1")
    client_of_store: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    ledger = client_of_store["e2e_killed"]
    port = free_port()
    environment = {"MONGODB_URL": store.url, "DARAJA_BASE_URL": daraja.url, **FAST, "MONGODB_DATABASE": "e2e_killed"}
    first = start_gateway(workdir, *tls_files, port=port, **environment)
    keyed_phone = fresh_phone()
    async with await SocketClient.connect(f"{first.wss}/mpesa/stk/killed", first.tls) as client:
        settled_before = [await client.request(push(amount)) for amount in (50, 1032, CALLBACK_LOST)]
        # The same request twice with one key, at the same moment: one prompt.
        await asyncio.gather(
            client.request(push(77, keyed_phone, ref="k-1")), client.request(push(77, keyed_phone, ref="k-1"))
        )
        # Pushes still waiting on a slow Daraja when the process dies: their records hold no CheckoutRequestID.
        for _ in range(3):
            await client.connection.send(_frame(push(DARAJA_SLOW)))
        async with await SocketClient.connect(f"{first.wss}/mpesa/b2c/killed", first.tls) as payee:
            for amount in (200, CALLBACK_LOST, 9001):
                await payee.request(withdraw(amount))
            await asyncio.sleep(0.3)
            os.killpg(first.process.pid, signal.SIGKILL)  # type: ignore[arg-type]
    first.process.stop()

    second = start_gateway(workdir, *tls_files, port=port, **environment)
    try:
        await asyncio.to_thread(
            wait_until,
            lambda: (
                ledger["stk_payments"].count_documents({"status": "pending"}) == 0
                and ledger["b2c_withdrawals"].count_documents({"status": {"$in": ["queued", "submitted", "timeout"]}})
                == 0
            ),
        )
        assert all(reply["ok"] for reply in settled_before)
        assert daraja.stats()["stk_push_requests"]["per_phone"][keyed_phone] == 1  # type: ignore[index]
        assert_ledger_holds(ledger, daraja, never_answered=set())
    finally:
        second.process.stop()
        daraja.process.stop()
        client_of_store.close()


def _frame(message: dict[str, Any]) -> str:
    return json.dumps(message)
