"""C2B end to end, on the real embedded store and the bundled simulator: the gateway's hook URLs registered with the
simulator, a customer's Paybill payment (its confirmation delivered twice) → stored once and counted once on the
payment request it names; a wrong secret or a malformed body stores nothing."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.settings import (
    C2B_CONFIRMATION_PATH,
    C2B_VALIDATION_PATH,
)
from tests.support.c2b_registration import register_with_simulator
from tests.support.processes import Gateway, Simulator, start_gateway

DATABASE = "c2b_e2e"
SECRET = "c2b-hook-secret-0123456789abcdef0123"
SHORTCODE = "600984"


def _confirmation(trans_id: str, reference: str = "UNBOOKED-1", amount: str = "250.00") -> dict[str, str]:
    # The shape Safaricom's C2B v2 sample shows: flat, every value a string, the payer's number masked.
    return {
        "TransactionType": "Pay Bill",
        "TransID": trans_id,
        "TransTime": "20261204131500",
        "TransAmount": amount,
        "BusinessShortCode": SHORTCODE,
        "BillRefNumber": reference,
        "InvoiceNumber": "",
        "OrgAccountBalance": "49197.00",
        "ThirdPartyTransID": "",
        "MSISDN": "2547 ***** 126",
        "FirstName": "JOHN",
        "MiddleName": "",
        "LastName": "",
    }


@pytest.fixture(scope="module")
def c2b_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        C2B_HOOK_SECRET=SECRET,
        C2B_VALIDATION_RULE="known_references",
        BALANCE_CHECK_INTERVAL_SECONDS="0",
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def c2b_payments(store: EmbeddedMongo) -> Iterator[pymongo.collection.Collection]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]["c2b_payments"]
    client.close()


async def test_a_paybill_payment_confirmed_twice_is_stored_once_and_counted_once(
    c2b_gateway: Gateway,
    simulator: Simulator,
    c2b_payments: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    expires_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    async with (
        httpx.AsyncClient(base_url=c2b_gateway.https, verify=c2b_gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
    ):
        await register_with_simulator(sim, c2b_gateway, SECRET)
        created = await http.post(
            "/api/v1/mpesa/c2b/requests",
            json={
                "hash": "c2b-e2e-shop",
                "account_reference": "INV-0042",
                "amount_rule": "exact",
                "amount": 100,
                "expires_at": expires_at,
            },
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["data"]["id"]

        paid = await sim.post(
            "/simulator/c2b/pay", json={"account": "inv-0042", "amount": 100, "scenario": "duplicate_confirmation"}
        )
        refused = await sim.post("/simulator/c2b/pay", json={"account": "NOBODY-1", "amount": 50})
        assert paid.status_code == 200, paid.text
        trans_id = paid.json()["trans_id"]
        shown = await http.get(f"/api/v1/mpesa/c2b/payments/{trans_id}")

    assert paid.json()["validation"] == "accepted"
    assert paid.json()["confirmations_sent"] == 2
    # known_references: an account number no open request holds is refused before the money moves.
    assert refused.json()["validation"] == "rejected:C2B00012"
    assert shown.status_code == 200, shown.text
    assert shown.json()["match"] == "applied"
    assert shown.json()["request_id"] == request_id
    assert shown.json()["amount"] == 100
    assert c2b_payments.count_documents({"trans_id": trans_id}) == 1
    assert c2b_payments.count_documents({"request_id": request_id}) == 1


async def test_a_direct_confirmation_is_acknowledged_and_a_repeat_changes_nothing(
    c2b_gateway: Gateway,
    c2b_payments: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    url = f"{C2B_CONFIRMATION_PATH}/{SECRET}"
    async with httpx.AsyncClient(base_url=c2b_gateway.https, verify=c2b_gateway.tls, timeout=10) as http:
        first = await http.post(url, json=_confirmation("TLK4C2B0001"))
        again = await http.post(url, json=_confirmation("TLK4C2B0001"))
        shown = await http.get("/api/v1/mpesa/c2b/payments/TLK4C2B0001")

    assert (first.status_code, first.json()) == (200, {"ResultCode": 0, "ResultDesc": "Accepted"})
    assert (again.status_code, again.json()) == (200, {"ResultCode": 0, "ResultDesc": "Accepted"})
    assert shown.json()["match"] == "unknown_reference"  # kept, never dropped, for the merchant to book or refund
    assert shown.json()["payer_form"] == "masked"
    assert c2b_payments.count_documents({"trans_id": "TLK4C2B0001"}) == 1


async def test_a_wrong_secret_is_not_found_and_stores_nothing(
    c2b_gateway: Gateway,
    c2b_payments: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    async with httpx.AsyncClient(base_url=c2b_gateway.https, verify=c2b_gateway.tls, timeout=10) as http:
        confirmed = await http.post(f"{C2B_CONFIRMATION_PATH}/wrong-secret", json=_confirmation("TLK4C2B0002"))
        validated = await http.post(f"{C2B_VALIDATION_PATH}/{SECRET[:-1]}", json=_confirmation(""))
        shown = await http.get("/api/v1/mpesa/c2b/payments/TLK4C2B0002")

    assert confirmed.status_code == 404
    assert validated.status_code == 404
    assert shown.status_code == 404
    assert c2b_payments.count_documents({"trans_id": "TLK4C2B0002"}) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"TransID": "TLK4C2B0003", "BusinessShortCode": "600984"}',  # no amount
        b'{"TransID": "TLK4C2B0003", "TransAmount": "10.50", "BusinessShortCode": "600984"}',  # no whole shillings
        b'{"TransID": "", "TransAmount": "10.00", "BusinessShortCode": "600984"}',  # no receipt to store it by
    ],
)
async def test_a_malformed_confirmation_is_a_400_and_stores_nothing(
    c2b_gateway: Gateway,
    c2b_payments: pymongo.collection.Collection,  # type: ignore[type-arg]
    body: bytes,
) -> None:
    before = c2b_payments.count_documents({})
    async with httpx.AsyncClient(base_url=c2b_gateway.https, verify=c2b_gateway.tls, timeout=10) as http:
        answer = await http.post(
            f"{C2B_CONFIRMATION_PATH}/{SECRET}", content=body, headers={"Content-Type": "application/json"}
        )

    assert answer.status_code == 400
    assert answer.json()["ResultCode"] == 1
    assert c2b_payments.count_documents({}) == before


async def test_without_a_configured_secret_the_hooks_are_not_served(gateway: Gateway) -> None:
    # The suite's default gateway sets no C2B_HOOK_SECRET: no guess of a secret, the empty one included, gets in.
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        answers = [
            await http.post(f"{path}/{secret}", json=_confirmation("TLK4C2B0004"))
            for path in (C2B_CONFIRMATION_PATH, C2B_VALIDATION_PATH)
            for secret in ("", "None", SECRET)
        ]

    assert [answer.status_code for answer in answers] == [404] * 6


async def test_payments_are_found_by_reference_and_by_payer(c2b_gateway: Gateway, simulator: Simulator) -> None:
    async with (
        httpx.AsyncClient(base_url=c2b_gateway.https, verify=c2b_gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
    ):
        await register_with_simulator(sim, c2b_gateway, SECRET)
        expires_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        await http.post(
            "/api/v1/mpesa/c2b/requests",
            json={
                "hash": "c2b-e2e-find",
                "account_reference": "INV-FIND-1",
                "amount_rule": "open",
                "expires_at": expires_at,
            },
        )
        paid = await sim.post("/simulator/c2b/pay", json={"account": "inv-find-1", "amount": 70})
        by_reference = await http.get("/api/v1/mpesa/c2b/payments", params={"reference": "INV-FIND-1"})
        by_payer = await http.get(
            "/api/v1/mpesa/c2b/payments", params={"phone": "0708374149", "reference": "INV-FIND-1"}
        )
        neither = await http.get("/api/v1/mpesa/c2b/payments")

    trans_id = paid.json()["trans_id"]
    assert [p["trans_id"] for p in by_reference.json()["data"]["payments"]] == [trans_id]
    assert [p["trans_id"] for p in by_payer.json()["data"]["payments"]] == [trans_id]
    assert neither.status_code == 400 and neither.json()["error"]["code"] == "VALIDATION_ERROR"
