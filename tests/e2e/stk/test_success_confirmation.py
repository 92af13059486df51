"""CONFIRM_SUCCESS_CALLBACKS end to end: a success callback counts only once Daraja's own query agrees.

The gateway's CALLBACK_BASE_URL is a relay (tests/support/callback_relay.py) that forwards Daraja's callbacks, or
withholds them so that a test can send the strongest forgery: right secret URL, right ids, right amount and phone,
for a transaction the simulator knows ended otherwise.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.e2e.b2c.test_b2c_callbacks import result_body
from tests.e2e.stk.test_stk_callbacks import success_body
from tests.simulator.fault_controls import clear_faults, set_faults
from tests.support.callback_relay import CallbackRelay
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway, start_simulator
from tests.support.socket_client import SocketClient

DATABASE = "e2e_confirmation"  # its own: another gateway's worker or reconciler must not touch these records
CANCELLED_BY_USER = 1032
INSUFFICIENT_BALANCE = 9001
RECHECK_SECONDS = 4  # STK_FIRST_CHECK_SECONDS and B2C_FIRST_CHECK_SECONDS: the held success's next check
SETTLES_WITHIN = 30.0
Collection = pymongo.collection.Collection  # type: ignore[type-arg]


@pytest.fixture(scope="module")
def relay() -> Iterator[CallbackRelay]:
    relay = CallbackRelay().start()
    yield relay
    relay.stop()


@pytest.fixture(scope="module")
def own_simulator(workdir: Path) -> Iterator[Simulator]:
    simulator = start_simulator(workdir)  # its own: the fault plans below must not reach other tests
    yield simulator
    simulator.process.stop()


@pytest.fixture(scope="module")
def confirming_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, own_simulator: Simulator, relay: CallbackRelay
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=own_simulator.url,
        CALLBACK_BASE_URL=relay.url,
        CONFIRM_SUCCESS_CALLBACKS="true",
        DARAJA_QUERY_ATTEMPTS="1",
        STK_FIRST_CHECK_SECONDS=str(RECHECK_SECONDS),
        B2C_FIRST_CHECK_SECONDS=str(RECHECK_SECONDS),
        RECONCILE_POLL_SECONDS="0.5",
    )
    relay.forward_to(gateway.https, gateway.tls)
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def database(store: EmbeddedMongo) -> Iterator[pymongo.database.Database]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]
    client.close()


@pytest.fixture
def withholding(relay: CallbackRelay) -> Iterator[CallbackRelay]:
    yield relay
    relay.release_all()


@pytest.fixture
def faulty(own_simulator: Simulator) -> Iterator[Simulator]:
    yield own_simulator
    clear_faults(own_simulator.url)


def details(record: dict[str, Any]) -> list[str]:
    return [change.get("detail") or "" for change in record["history"]]


def anomalies_of(database: Any, **record: str) -> list[str]:
    return [anomaly["kind"] for anomaly in database["anomalies"].find(record)]


async def test_a_genuine_stk_success_is_confirmed_by_query_and_ends_success_with_its_receipt(
    confirming_gateway: Gateway, relay: CallbackRelay, database: Any
) -> None:
    async with await SocketClient.connect(f"{confirming_gateway.wss}/mpesa/stk/genuine", confirming_gateway.tls) as c:
        ack = await c.request({"kind": "push", "payload": {"phone": fresh_phone(), "amount": 100, "description": "ok"}})
        final = await c.final_update(ack["data"]["checkout"], timeout=SETTLES_WITHIN)
    stored = database["stk_payments"].find_one({"payment_id": ack["data"]["id"]})
    sent = relay.wait_for(stored["callback_token"]).json()["Body"]["stkCallback"]["CallbackMetadata"]["Item"]

    assert final["data"]["status"] == "success"
    assert final["data"]["receipt"] == next(i["Value"] for i in sent if i["Name"] == "MpesaReceiptNumber")
    assert any("confirmed by STK query" in detail for detail in details(stored))


async def test_a_forged_stk_success_the_query_refutes_is_refused_and_changes_nothing(
    confirming_gateway: Gateway, withholding: CallbackRelay, database: Any
) -> None:
    withholding.withhold("/api/v1/hooks/stk/")
    phone = fresh_phone()
    async with await SocketClient.connect(f"{confirming_gateway.wss}/mpesa/stk/forged", confirming_gateway.tls) as c:
        ack = await c.request(
            {"kind": "push", "payload": {"phone": phone, "amount": CANCELLED_BY_USER, "description": "forged"}}
        )
        payment = ack["data"]
        token = database["stk_payments"].find_one({"payment_id": payment["id"]})["callback_token"]
        withholding.wait_for(token)  # Daraja's own callback (cancelled) was sent, and lost on the way
        forgery = success_body(payment["checkout"], payment["merchant_request"], float(CANCELLED_BY_USER), phone)
        with confirming_gateway.http() as http:
            answer = http.post(f"/api/v1/hooks/stk/{token}", json=forgery)
        final = await c.final_update(payment["checkout"], timeout=SETTLES_WITHIN)
    stored = database["stk_payments"].find_one({"payment_id": payment["id"]})

    assert answer.status_code == 403
    assert final["data"]["status"] == "cancelled"
    assert (stored["status"], stored["receipt"]) == ("cancelled", None)
    assert not any(update["data"]["status"] == "success" for update in c.updates)
    assert anomalies_of(database, payment_id=payment["id"]) == ["unconfirmed_success"]


async def test_a_stk_success_whose_query_fails_is_held_then_confirmed_by_the_reconciler(
    confirming_gateway: Gateway, faulty: Simulator, relay: CallbackRelay, database: Any
) -> None:
    set_faults(faulty.url, path="/mpesa/stkpushquery/v1/query", fail_next=1)
    async with await SocketClient.connect(f"{confirming_gateway.wss}/mpesa/stk/held", confirming_gateway.tls) as c:
        ack = await c.request(
            {"kind": "push", "payload": {"phone": fresh_phone(), "amount": 100, "description": "held"}}
        )
        final = await c.final_update(ack["data"]["checkout"], timeout=SETTLES_WITHIN)
    stored = database["stk_payments"].find_one({"payment_id": ack["data"]["id"]})
    sent = relay.wait_for(stored["callback_token"]).json()["Body"]["stkCallback"]["CallbackMetadata"]["Item"]

    assert final["data"]["status"] == "success"
    assert final["data"]["receipt"] == next(i["Value"] for i in sent if i["Name"] == "MpesaReceiptNumber")
    assert any("awaiting STK query" in detail for detail in details(stored))
    assert any("confirms the callback's success" in detail for detail in details(stored))
    assert faulty.stats()["faults"]["failed"] == 1  # type: ignore[index]


async def test_a_genuine_b2c_success_is_confirmed_by_transaction_status(
    confirming_gateway: Gateway, own_simulator: Simulator, relay: CallbackRelay, database: Any
) -> None:
    async with await SocketClient.connect(f"{confirming_gateway.wss}/mpesa/b2c/genuine", confirming_gateway.tls) as c:
        ack = await c.request(
            {"kind": "withdraw", "payload": {"phone": fresh_phone(), "amount": 100, "description": "ok"}}
        )
        final = await c.update_where(
            lambda d: d["id"] == ack["data"]["id"] and d["status"] == "success", timeout=SETTLES_WITHIN
        )
    stored = database["b2c_withdrawals"].find_one({"withdrawal_id": ack["data"]["id"]})
    result = relay.wait_for(f"/result/{stored['callback_token']}").json()["Result"]

    assert final["data"]["receipt"] == result["TransactionID"]
    assert final["data"]["recipient_name"] is not None
    assert any("confirms the Result's success" in detail for detail in details(stored))
    assert own_simulator.b2c_requests(stored["originator_conversation_id"]) == 1


async def test_a_forged_b2c_success_transaction_status_refutes_is_never_applied(
    confirming_gateway: Gateway, own_simulator: Simulator, withholding: CallbackRelay, database: Any
) -> None:
    withholding.withhold("/api/v1/hooks/b2c/result/", "/api/v1/hooks/b2c/timeout/")
    async with await SocketClient.connect(f"{confirming_gateway.wss}/mpesa/b2c/forged", confirming_gateway.tls) as c:
        ack = await c.request(
            {
                "kind": "withdraw",
                "payload": {"phone": fresh_phone(), "amount": INSUFFICIENT_BALANCE, "description": "forged"},
            }
        )
        withdrawal_id = ack["data"]["id"]
        submitted = await c.update_where(lambda d: d["id"] == withdrawal_id and d["status"] == "submitted")
        token = database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal_id})["callback_token"]
        withholding.wait_for(f"/result/{token}")  # Daraja's own Result (not paid) was sent, and lost on the way
        with confirming_gateway.http() as http:
            answer = http.post(
                f"/api/v1/hooks/b2c/result/{token}", json=result_body(submitted["data"], float(INSUFFICIENT_BALANCE))
            )
        final = await c.update_where(lambda d: d["id"] == withdrawal_id and d["status"] == "failed", SETTLES_WITHIN)
    stored = database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal_id})

    assert answer.status_code == 200  # acknowledged while Transaction Status is asked: Daraja must not retry
    assert final["data"]["receipt"] is None
    assert stored["receipt"] is None
    assert not any(u["data"]["status"] == "success" for u in c.updates if u["data"]["id"] == withdrawal_id)
    assert anomalies_of(database, withdrawal_id=withdrawal_id) == ["unconfirmed_success"]
    assert own_simulator.b2c_requests(stored["originator_conversation_id"]) == 1


async def test_a_b2c_success_whose_status_query_fails_is_held_then_confirmed_by_the_reconciler(
    confirming_gateway: Gateway, faulty: Simulator, database: Any
) -> None:
    set_faults(faulty.url, path="/mpesa/transactionstatus/v1/query", fail_next=1)
    async with await SocketClient.connect(f"{confirming_gateway.wss}/mpesa/b2c/held", confirming_gateway.tls) as c:
        ack = await c.request(
            {"kind": "withdraw", "payload": {"phone": fresh_phone(), "amount": 100, "description": "held"}}
        )
        final = await c.update_where(
            lambda d: d["id"] == ack["data"]["id"] and d["status"] == "success", timeout=SETTLES_WITHIN
        )
    stored = database["b2c_withdrawals"].find_one({"withdrawal_id": ack["data"]["id"]})

    assert final["data"]["receipt"] is not None
    assert any("awaiting Transaction Status" in detail for detail in details(stored))
    assert any("confirms the Result's success" in detail for detail in details(stored))
    assert faulty.stats()["faults"]["failed"] == 1  # type: ignore[index]
    assert faulty.b2c_requests(stored["originator_conversation_id"]) == 1
