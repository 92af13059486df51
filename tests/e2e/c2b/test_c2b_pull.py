"""Nothing missed, end to end: a Paybill payment whose confirmation M-PESA never delivered is found by the gateway's
Pull Transactions look and counted once on the payment request it names, on the real store and the simulator."""

import asyncio
import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.c2b_registration import register_with_simulator
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import WAIT_SECONDS

DATABASE = "c2b_pull_e2e"
SECRET = "c2b-pull-secret-0123456789abcdef0123"


@pytest.fixture(scope="module")
def pulling_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        C2B_HOOK_SECRET=SECRET,
        C2B_PULL_SECONDS="1",
        C2B_PULL_NOMINATED_NUMBER="0722000000",
        BALANCE_CHECK_INTERVAL_SECONDS="0",
    )
    yield gateway
    gateway.process.stop()


async def test_a_payment_whose_confirmation_was_lost_is_found_by_pull_and_counted_once(
    pulling_gateway: Gateway, simulator: Simulator, store: EmbeddedMongo
) -> None:
    expires_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    async with (
        httpx.AsyncClient(base_url=pulling_gateway.https, verify=pulling_gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
    ):
        await register_with_simulator(sim, pulling_gateway, SECRET, "Completed")
        created = await http.post(
            "/api/v1/mpesa/c2b/requests",
            json={
                "hash": "c2b-pull-shop",
                "account_reference": "INV-LOST-1",
                "amount_rule": "exact",
                "amount": 120,
                "expires_at": expires_at,
            },
        )
        assert created.status_code == 201, created.text
        paid = await sim.post(
            "/simulator/c2b/pay", json={"account": "inv-lost-1", "amount": 120, "scenario": "confirmation_lost"}
        )
        assert paid.status_code == 200, paid.text
        trans_id = paid.json()["trans_id"]
        shown = await _found_within(http, f"/api/v1/mpesa/c2b/payments/{trans_id}", WAIT_SECONDS)
        await asyncio.sleep(2.5)  # two more pulls find it again: nothing changes

    assert paid.json()["confirmations_sent"] == 0
    assert (shown["match"], shown["source"], shown["amount"]) == ("applied", "pull", 120)
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    try:
        stored_request = client[DATABASE]["c2b_requests"].find_one({"request_id": created.json()["data"]["id"]})
        assert client[DATABASE]["c2b_payments"].count_documents({"trans_id": trans_id}) == 1
    finally:
        client.close()
    assert stored_request is not None and stored_request["status"] == "paid"


async def _found_within(http: httpx.AsyncClient, path: str, seconds: float) -> dict[str, object]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        answer = await http.get(path)
        if answer.status_code == 200:
            found: dict[str, object] = answer.json()
            return found
        assert asyncio.get_running_loop().time() < deadline, f"not found by pull within {seconds} s: {answer.text}"
        await asyncio.sleep(0.2)


async def test_an_open_request_gets_a_qr_code_a_closed_one_a_clear_refusal(pulling_gateway: Gateway) -> None:
    expires_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    async with httpx.AsyncClient(base_url=pulling_gateway.https, verify=pulling_gateway.tls, timeout=10) as http:
        created = await http.post(
            "/api/v1/mpesa/c2b/requests",
            json={
                "hash": "c2b-qr-shop",
                "account_reference": "INV-QR-1",
                "amount_rule": "exact",
                "amount": 450,
                "expires_at": expires_at,
            },
        )
        request_id = created.json()["data"]["id"]
        drawn = await http.get(f"/api/v1/mpesa/c2b/requests/{request_id}/qr", params={"hash": "c2b-qr-shop"})
        elsewhere = await http.get(f"/api/v1/mpesa/c2b/requests/{request_id}/qr", params={"hash": "another"})

    assert drawn.status_code == 200, drawn.text
    assert base64.b64decode(drawn.json()["data"]["png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert elsewhere.status_code == 404
    assert elsewhere.json()["error"]["code"] == "NOT_FOUND"
