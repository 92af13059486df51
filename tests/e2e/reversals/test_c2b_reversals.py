"""Reversals of C2B payments through a real gateway that requires API keys, the simulator and the embedded store: a
customer's payment to a payment request is refunded once, the request's socket sees the payment reversed and the
request settled again, and the event feed has `c2b.payment.reversed`."""

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.c2b_registration import register_with_simulator
from tests.support.processes import Gateway, Simulator, cli, start_gateway
from tests.support.socket_client import SocketClient

# Its own database: another module's gateway could otherwise claim this module's reversals.
DATABASE = "e2e_c2b_reversals"
SECRET = "c2b-reversal-secret-0123456789abcdef01"
SETTLE_SECONDS = 20.0
REVERSALS = "/api/v1/mpesa/reversals"


@pytest.fixture(scope="module")
def records(store: EmbeddedMongo) -> Iterator[pymongo.database.Database]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]
    client.close()


@pytest.fixture(scope="module")
def gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    started = start_gateway(
        workdir,
        *tls_files,
        API_KEYS_OPTIONAL="false",
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        C2B_HOOK_SECRET=SECRET,
        WORKER_POLL_SECONDS="0.2",
        REVERSAL_FIRST_CHECK_SECONDS="1",
        RECONCILE_POLL_SECONDS="0.5",
        BALANCE_CHECK_INTERVAL_SECONDS="0",
    )
    yield started
    started.process.stop()


def new_key(store: EmbeddedMongo, *options: str) -> dict[str, str]:
    environment = {**os.environ, "MONGODB_URL": store.url, "MONGODB_DATABASE": DATABASE, "LOG_LEVEL": "WARNING"}
    created = subprocess.run(
        cli("apikey", "create", "--name", "c2b refunds", *options),
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    return {"Authorization": f"Bearer {created.stdout.strip()}"}


@pytest.fixture(scope="module")
def refunds_key(store: EmbeddedMongo, gateway: Gateway) -> dict[str, str]:
    return new_key(store, "--scope", "reversal")


@pytest.fixture(scope="module")
def checkout_key(store: EmbeddedMongo, gateway: Gateway) -> dict[str, str]:
    return new_key(store)


async def create_request(http: httpx.AsyncClient, key: dict[str, str], hash_: str, reference: str, amount: int) -> str:
    created = await http.post(
        "/api/v1/mpesa/c2b/requests",
        headers=key,
        json={
            "hash": hash_,
            "account_reference": reference,
            "amount_rule": "exact",
            "amount": amount,
            "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["data"]["id"])


async def pay(sim: httpx.AsyncClient, account: str, amount: int, scenario: str = "normal") -> str:
    paid = await sim.post("/simulator/c2b/pay", json={"account": account, "amount": amount, "scenario": scenario})
    assert paid.status_code == 200 and paid.json()["outcome"] == "completed", paid.text
    return str(paid.json()["trans_id"])


async def settled(http: httpx.AsyncClient, key: dict[str, str], reversal_id: str) -> dict[str, Any]:
    async with asyncio.timeout(SETTLE_SECONDS):
        while True:
            shown = (await http.get(f"{REVERSALS}/{reversal_id}", headers=key)).json()["data"]
            if shown["status"] in ("reversed", "failed"):
                return dict(shown)
            await asyncio.sleep(0.2)


async def events(http: httpx.AsyncClient, key: dict[str, str], kind: str, record_id: str) -> list[dict[str, Any]]:
    """The feed's C2B events of one payment (`kind` c2b.payment, by TransID) or request (c2b.request, by id)."""
    page = (await http.get("/api/v1/events", params={"type": "c2b.*", "limit": 500}, headers=key)).json()
    field = "trans_id" if kind == "c2b.payment" else "id"
    return [e for e in page["data"] if e["type"].startswith(f"{kind}.") and e["data"].get(field) == record_id]


async def until_shown(read: Any, wanted: Any) -> Any:
    async with asyncio.timeout(SETTLE_SECONDS):
        while True:
            found = await read()
            if wanted(found):
                return found
            await asyncio.sleep(0.2)


async def test_a_payment_that_overpaid_a_request_is_reversed_once_and_the_request_is_paid_again(
    gateway: Gateway, simulator: Simulator, refunds_key: dict[str, str], records: Any
) -> None:
    hash_ = f"till-{uuid.uuid4().hex[:8]}"
    reference = f"REV-{uuid.uuid4().hex[:6].upper()}"
    async with (
        httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
        await SocketClient.connect(f"{gateway.wss}/mpesa/c2b/{hash_}", gateway.tls) as till,
    ):
        await register_with_simulator(sim, gateway, SECRET, response_type="Completed")
        request_id = await create_request(http, refunds_key, hash_, reference, 100)
        # A deposit, then the whole amount: overpaid by the deposit. Its reversal's Result is posted twice, as the
        # payment's confirmation was (the simulator's duplicate_confirmation scenario).
        deposit = await pay(sim, reference, 40, scenario="duplicate_confirmation")
        await pay(sim, reference, 100)
        overpaid = await till.update_where(lambda data: data.get("id") == request_id and data["status"] != "open")

        asked = await http.post(
            f"{REVERSALS}/",
            json={"receipt": deposit, "reason": "Deposit not needed"},
            headers={**refunds_key, "Idempotency-Key": f"refund-{deposit}"},
        )
        assert asked.status_code == 201, asked.text
        reversal = asked.json()["data"]
        reversed_payment = await till.update_where(lambda data: data.get("trans_id") == deposit and data["reversal_id"])
        paid_again = await till.update_where(
            lambda data: data.get("id") == request_id and data["version"] > overpaid["data"]["version"]
        )
        shown = await settled(http, refunds_key, reversal["id"])
        await until_shown(
            lambda: events(http, refunds_key, "c2b.payment", deposit),
            lambda found: any(e["type"] == "c2b.payment.reversed" for e in found),
        )
        await asyncio.sleep(1.0)  # the Result's second delivery lands at once; time for it to be (wrongly) applied
        payment_events = await events(http, refunds_key, "c2b.payment", deposit)
        request_events = await events(http, refunds_key, "c2b.request", request_id)
        again = await http.post(f"{REVERSALS}/", json={"receipt": deposit, "reason": "Again"}, headers=refunds_key)

    assert overpaid["data"]["status"] == "overpaid"
    assert (reversal["status"], reversal["amount"], reversal["payment_kind"]) == ("requested", 40, "c2b")
    assert (reversal["receipt"], reversal["payment_id"]) == (deposit, deposit)
    assert (shown["status"], shown["result_code"]) == ("reversed", "0")
    assert reversed_payment["topic"] == f"/mpesa/c2b/{hash_}"
    assert reversed_payment["data"]["reversal_id"] == reversal["id"]
    assert (paid_again["data"]["status"], paid_again["data"]["received"]) == ("paid", 100)
    assert [c["reversed_at"] is not None for c in paid_again["data"]["confirmations"]] == [True, False]
    assert [e["type"] for e in payment_events] == ["c2b.payment.received", "c2b.payment.reversed"]
    assert payment_events[1]["data"]["reversal_id"] == reversal["id"]
    assert [e["type"] for e in request_events] == ["c2b.request.overpaid", "c2b.request.paid"]
    # The Result came twice and was applied once: one reversal, sent once, the request changed once by it.
    stored = records["reversals"].find_one({"reversal_id": reversal["id"]})
    assert [change["status"] for change in stored["history"]] == ["requested", "unknown", "sent", "reversed"]
    assert simulator.reversal_requests(deposit) == 1
    request = records["c2b_requests"].find_one({"request_id": request_id})
    assert request["version"] == paid_again["data"]["version"]
    assert (again.status_code, again.json()["error"]["code"]) == (409, "REVERSAL_ALREADY_REQUESTED")


async def test_an_unmatched_payment_is_reversed_by_a_reversal_key_and_refused_to_any_other(
    gateway: Gateway,
    simulator: Simulator,
    refunds_key: dict[str, str],
    checkout_key: dict[str, str],
    records: Any,
) -> None:
    async with (
        httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
    ):
        await register_with_simulator(sim, gateway, SECRET, response_type="Completed")
        stray = await pay(sim, f"NOBODY-{uuid.uuid4().hex[:6]}", 55)
        await until_shown(
            lambda: asyncio.to_thread(records["c2b_payments"].find_one, {"trans_id": stray}),
            lambda found: found is not None,
        )
        body = {"receipt": stray, "reason": "Paid the wrong business"}
        refused = await http.post(f"{REVERSALS}/", json=body, headers=checkout_key)
        nothing_yet = records["reversals"].count_documents({"receipt": stray})
        asked = await http.post(f"{REVERSALS}/", json=body, headers=refunds_key)
        shown = await settled(http, refunds_key, asked.json()["data"]["id"])

    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    assert nothing_yet == 0
    assert asked.status_code == 201, asked.text
    assert (shown["status"], shown["amount"], shown["payment_kind"]) == ("reversed", 55, "c2b")
    assert records["c2b_payments"].find_one({"trans_id": stray})["reversal_id"] == shown["id"]
    assert simulator.reversal_requests(stray) == 1
