"""Reversals through a real gateway that requires API keys, the simulator and the embedded store: a completed payment
is refunded once, its clients see it, and bad or repeated requests change nothing."""

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest

from adapters.daraja.security_credential import security_credential
from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.settings import SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET, SIMULATOR_INITIATOR_PASSWORD
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, cli, start_gateway
from tests.support.socket_client import SocketClient

Collection = pymongo.collection.Collection  # type: ignore[type-arg]
# Its own database: another module's gateway could otherwise claim this module's reversals.
DATABASE = "e2e_reversals"
SETTLE_SECONDS = 20.0
REVERSALS = "/api/v1/mpesa/reversals"
PAID = "<the receipt of the payment just made>"


@pytest.fixture(scope="module")
def records(store: EmbeddedMongo) -> Iterator[pymongo.database.Database]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]
    client.close()


@pytest.fixture
def reversals(records: pymongo.database.Database) -> Collection:  # type: ignore[type-arg]
    return records["reversals"]


@pytest.fixture(scope="module")
def keyed_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        API_KEYS_OPTIONAL="false",
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        WORKER_POLL_SECONDS="0.2",
        REVERSAL_FIRST_CHECK_SECONDS="1",
        RECONCILE_POLL_SECONDS="0.5",
    )
    yield gateway
    gateway.process.stop()


def new_key(store: EmbeddedMongo, *options: str) -> str:
    environment = {**os.environ, "MONGODB_URL": store.url, "MONGODB_DATABASE": DATABASE, "LOG_LEVEL": "WARNING"}
    created = subprocess.run(
        cli("apikey", "create", "--name", "refunds", *options),
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


@pytest.fixture(scope="module")
def refunds_key(store: EmbeddedMongo, keyed_gateway: Gateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_key(store, '--scope', 'reversal')}"}


@pytest.fixture(scope="module")
def checkout_key(store: EmbeddedMongo, keyed_gateway: Gateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_key(store)}"}


async def paid(gateway: Gateway, client: SocketClient, amount: int = 100) -> dict[str, Any]:
    """A completed payment as its clients saw it, with its receipt."""
    pushed = await client.request(
        {"kind": "push", "payload": {"phone": fresh_phone(), "amount": amount, "description": "Order"}}
    )
    assert pushed["ok"], pushed
    update = await client.update_where(lambda data: data["id"] == pushed["data"]["id"] and data["receipt"] is not None)
    return dict(update["data"])


def reversal_settled(gateway: Gateway, key: dict[str, str], reversal_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_SECONDS
    with gateway.http() as http:
        while True:
            shown = http.get(f"{REVERSALS}/{reversal_id}", headers=key).json()["data"]
            if shown["status"] in ("reversed", "failed"):
                return dict(shown)
            assert time.monotonic() < deadline, shown
            time.sleep(0.2)


def events_of(gateway: Gateway, key: dict[str, str], reversal_id: str, type_: str) -> list[dict[str, Any]]:
    with gateway.http() as http:
        page = http.get("/api/v1/events", params={"type": type_, "limit": 500}, headers=key).json()
    return [event for event in page["data"] if event["data"]["id"] == reversal_id]


def wait_for_events(gateway: Gateway, key: dict[str, str], reversal_id: str, type_: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + SETTLE_SECONDS
    while not (found := events_of(gateway, key, reversal_id, type_)):
        assert time.monotonic() < deadline, f"no {type_} event"
        time.sleep(0.2)
    return found


def reverse_at_the_simulator(simulator: Simulator, receipt: str, amount: int) -> None:
    """As an operator reversing the payment in M-PESA's own portal would: the gateway is not told."""
    with httpx.Client(base_url=simulator.url, timeout=10) as http:
        token = http.get(
            "/oauth/v1/generate",
            params={"grant_type": "client_credentials"},
            auth=(SIMULATOR_CONSUMER_KEY, SIMULATOR_CONSUMER_SECRET),
        ).json()["access_token"]
        certificate = http.get("/simulator/certificate").content
        body = {
            "Initiator": "testapi",
            "SecurityCredential": security_credential(SIMULATOR_INITIATOR_PASSWORD, certificate),
            "CommandID": "TransactionReversal",
            "TransactionID": receipt,
            "Amount": amount,
            "ReceiverParty": "174379",
            "RecieverIdentifierType": "11",
            "ResultURL": "http://127.0.0.1:9/portal",
            "QueueTimeOutURL": "http://127.0.0.1:9/portal",
            "Remarks": "Reversed in the portal",
        }
        accepted = http.post("/mpesa/reversal/v1/request", json=body, headers={"Authorization": f"Bearer {token}"})
        assert accepted.status_code == 200, accepted.text
    deadline = time.monotonic() + SETTLE_SECONDS
    while simulator.stats()["callbacks"]["scheduled"]:  # type: ignore[index]
        assert time.monotonic() < deadline
        time.sleep(0.1)


async def test_a_completed_payment_is_reversed_once_and_its_clients_and_events_show_it(
    keyed_gateway: Gateway, simulator: Simulator, refunds_key: dict[str, str]
) -> None:
    hash_ = f"shop-{uuid.uuid4().hex[:8]}"
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/{hash_}", keyed_gateway.tls) as client:
        payment = await paid(keyed_gateway, client, amount=130)
        with keyed_gateway.http() as http:
            asked = http.post(
                f"{REVERSALS}/",
                json={"receipt": payment["receipt"], "reason": "Customer paid twice"},
                headers={**refunds_key, "Idempotency-Key": f"refund-{payment['id']}"},
            )
        assert asked.status_code == 201, asked.text
        reversal = asked.json()["data"]
        marked = await client.update_where(lambda data: data["id"] == payment["id"] and data["reversal_id"])

    settled = await asyncio.to_thread(reversal_settled, keyed_gateway, refunds_key, reversal["id"])

    assert (reversal["status"], reversal["receipt"], reversal["amount"]) == ("requested", payment["receipt"], 130)
    assert (settled["status"], settled["result_code"]) == ("reversed", "0")
    assert settled["reversal_receipt"] not in (None, payment["receipt"])
    assert (marked["data"]["status"], marked["data"]["reversal_id"]) == ("success", reversal["id"])
    assert simulator.reversal_requests(payment["receipt"]) == 1
    found = await asyncio.to_thread(wait_for_events, keyed_gateway, refunds_key, reversal["id"], "reversal.reversed")
    assert [event["data"]["receipt"] for event in found] == [payment["receipt"]]


async def test_a_repeated_request_returns_the_same_reversal_and_nothing_is_sent_twice(
    keyed_gateway: Gateway, simulator: Simulator, refunds_key: dict[str, str], reversals: Collection
) -> None:
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/repeat", keyed_gateway.tls) as client:
        payment = await paid(keyed_gateway, client)
    body = {"receipt": payment["receipt"], "reason": "Refund"}
    keyed = {**refunds_key, "Idempotency-Key": f"repeat-{payment['id']}"}

    with keyed_gateway.http() as http:
        first = http.post(REVERSALS, json=body, headers=keyed)
        repeat = http.post(REVERSALS, json=body, headers=keyed)
        other_body = http.post(REVERSALS, json={**body, "reason": "Another reason"}, headers=keyed)
        unkeyed = http.post(REVERSALS, json=body, headers=refunds_key)
    settled = await asyncio.to_thread(reversal_settled, keyed_gateway, refunds_key, first.json()["data"]["id"])
    with keyed_gateway.http() as http:
        after = http.post(REVERSALS, json=body, headers=keyed)

    assert (first.status_code, repeat.status_code) == (201, 201)
    assert repeat.json()["data"]["id"] == first.json()["data"]["id"] == after.json()["data"]["id"]
    assert after.json()["data"]["status"] == settled["status"] == "reversed"
    assert (other_body.status_code, other_body.json()["error"]["code"]) == (409, "IDEMPOTENCY_CONFLICT")
    assert (unkeyed.status_code, unkeyed.json()["error"]["code"]) == (409, "REVERSAL_ALREADY_REQUESTED")
    assert reversals.count_documents({"receipt": payment["receipt"]}) == 1
    assert simulator.reversal_requests(payment["receipt"]) == 1


async def test_a_result_delivered_twice_is_applied_once(
    keyed_gateway: Gateway, refunds_key: dict[str, str], reversals: Collection
) -> None:
    # Paid with the simulator's "callback duplicated" amount: its reversal's Result is posted twice as well.
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/twice", keyed_gateway.tls) as client:
        payment = await paid(keyed_gateway, client, amount=9200)
    with keyed_gateway.http() as http:
        asked = http.post(REVERSALS, json={"receipt": payment["receipt"], "reason": "Refund"}, headers=refunds_key)
    reversal_id = asked.json()["data"]["id"]

    await asyncio.to_thread(reversal_settled, keyed_gateway, refunds_key, reversal_id)
    await asyncio.to_thread(wait_for_events, keyed_gateway, refunds_key, reversal_id, "reversal.reversed")
    await asyncio.sleep(1.0)  # the second delivery lands 0 s after the first, well within this

    stored = reversals.find_one({"reversal_id": reversal_id})
    assert [change["status"] for change in stored["history"]] == ["requested", "unknown", "sent", "reversed"]
    assert len(events_of(keyed_gateway, refunds_key, reversal_id, "reversal.reversed")) == 1


async def test_a_payment_already_reversed_at_m_pesa_fails_and_stays_unmarked(
    keyed_gateway: Gateway, simulator: Simulator, refunds_key: dict[str, str], records: Any
) -> None:
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/portal", keyed_gateway.tls) as client:
        payment = await paid(keyed_gateway, client, amount=140)
    await asyncio.to_thread(reverse_at_the_simulator, simulator, payment["receipt"], 140)

    with keyed_gateway.http() as http:
        asked = http.post(REVERSALS, json={"receipt": payment["receipt"], "reason": "Refund"}, headers=refunds_key)
    failed = await asyncio.to_thread(reversal_settled, keyed_gateway, refunds_key, asked.json()["data"]["id"])
    with keyed_gateway.http() as http:
        again = http.post(REVERSALS, json={"receipt": payment["receipt"], "reason": "Again"}, headers=refunds_key)

    assert (failed["status"], failed["result_code"]) == ("failed", "R000001")
    assert failed["message"] == "M-PESA says this payment was reversed already."
    assert failed["reversal_receipt"] is None
    assert records["stk_payments"].find_one({"payment_id": payment["id"]})["reversal_id"] is None
    found = await asyncio.to_thread(wait_for_events, keyed_gateway, refunds_key, failed["id"], "reversal.failed")
    assert len(found) == 1
    assert again.status_code == 201  # a definitively failed reversal may be asked again


async def test_a_reversal_whose_result_is_lost_is_settled_by_transaction_status_and_sent_once(
    keyed_gateway: Gateway, simulator: Simulator, refunds_key: dict[str, str], reversals: Collection
) -> None:
    # The simulator reverses a payment of 9101 but posts no Result.
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/lost", keyed_gateway.tls) as client:
        payment = await paid(keyed_gateway, client, amount=9101)
        with keyed_gateway.http() as http:
            asked = http.post(REVERSALS, json={"receipt": payment["receipt"], "reason": "Refund"}, headers=refunds_key)
        reversal_id = asked.json()["data"]["id"]
        marked = await client.update_where(lambda data: data["id"] == payment["id"] and data["reversal_id"])

    settled = await asyncio.to_thread(reversal_settled, keyed_gateway, refunds_key, reversal_id)

    assert (settled["status"], settled["result_desc"]) == ("reversed", "Transaction Status: Completed")
    assert settled["reversal_receipt"] not in (None, payment["receipt"])
    assert marked["data"]["reversal_id"] == reversal_id
    causes = [change["cause"] for change in reversals.find_one({"reversal_id": reversal_id})["history"]]
    assert causes[-1] == "reconciler"
    assert simulator.reversal_requests(payment["receipt"]) == 1


async def test_a_reversal_that_timed_out_in_darajas_queue_is_unknown_until_transaction_status_fails_it(
    keyed_gateway: Gateway, simulator: Simulator, refunds_key: dict[str, str], reversals: Collection
) -> None:
    # The simulator lets the reversal of a payment of 9408 expire in its queue: nothing is reversed.
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/expired", keyed_gateway.tls) as client:
        payment = await paid(keyed_gateway, client, amount=9408)
    with keyed_gateway.http() as http:
        asked = http.post(REVERSALS, json={"receipt": payment["receipt"], "reason": "Refund"}, headers=refunds_key)
    reversal_id = asked.json()["data"]["id"]

    settled = await asyncio.to_thread(reversal_settled, keyed_gateway, refunds_key, reversal_id)

    statuses = [change["status"] for change in reversals.find_one({"reversal_id": reversal_id})["history"]]
    # `sent` is there unless the notice overtook Daraja's answer to the request.
    assert statuses[:2] == ["requested", "unknown"] and statuses[-2:] == ["unknown", "failed"]
    assert (settled["status"], settled["result_desc"]) == ("failed", "Transaction Status: Expired")
    assert simulator.reversal_requests(payment["receipt"]) == 1


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({"reason": "Refund"}, "VALIDATION_ERROR", 400),
        ({"receipt": PAID}, "VALIDATION_ERROR", 400),
        ({"receipt": "lowercase1", "reason": "Refund"}, "VALIDATION_ERROR", 400),
        ({"receipt": None, "reason": "Refund"}, "VALIDATION_ERROR", 400),
        ({"receipt": PAID, "reason": "x"}, "VALIDATION_ERROR", 400),
        ({"receipt": PAID, "reason": "Refund", "amount": 50}, "VALIDATION_ERROR", 400),
        ({"receipt": "SKC82PACB8", "reason": "Refund"}, "REVERSAL_PAYMENT_NOT_FOUND", 404),
    ],
)
async def test_bad_input_is_refused_with_its_code_and_changes_nothing(
    keyed_gateway: Gateway,
    simulator: Simulator,
    refunds_key: dict[str, str],
    reversals: Collection,
    body: dict[str, Any],
    code: str,
    status: int,
) -> None:
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/bad-input", keyed_gateway.tls) as client:
        payment = await paid(keyed_gateway, client)
    request = {name: payment["receipt"] if value == PAID else value for name, value in body.items()}

    with keyed_gateway.http() as http:
        refused = http.post(REVERSALS, json=request, headers={**refunds_key, "Idempotency-Key": uuid.uuid4().hex})

    assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
    assert reversals.count_documents({"receipt": payment["receipt"]}) == 0
    assert simulator.reversal_requests(payment["receipt"]) == 0


@pytest.mark.parametrize("which", ["no key", "key without the reversal scope"])
async def test_only_a_key_with_the_reversal_scope_may_reverse_or_read(
    keyed_gateway: Gateway,
    simulator: Simulator,
    checkout_key: dict[str, str],
    reversals: Collection,
    which: str,
) -> None:
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/scope", keyed_gateway.tls) as client:
        payment = await paid(keyed_gateway, client)
    headers = {} if which == "no key" else checkout_key

    with keyed_gateway.http() as http:
        refused = http.post(REVERSALS, json={"receipt": payment["receipt"], "reason": "Refund"}, headers=headers)
        read = http.get(f"{REVERSALS}/anything", headers=headers)

    for answer in (refused, read):
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    assert reversals.count_documents({"receipt": payment["receipt"]}) == 0
    assert simulator.reversal_requests(payment["receipt"]) == 0
