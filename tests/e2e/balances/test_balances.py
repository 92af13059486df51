"""Account balance end to end, on the real embedded store: an operator's check → the simulator's Result → stored →
the /metrics gauge and the read API; `balance.low` fires once per crossing; a withdrawal the last known utility
balance cannot cover is still sent, and counted."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway

OPERATOR = "balance-operator-token-0123456789abcdef"
OPERATOR_HEADERS = {"Authorization": f"Bearer {OPERATOR}"}
UTILITY_GAUGE = ("mpesa_account_balance", frozenset({("account", "Utility Account"), ("currency", "KES")}))
OPENING_UTILITY = "10000000.00"


@pytest.fixture(scope="module")
def balance_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE="balances_e2e",
        DARAJA_BASE_URL=simulator.url,
        OPERATOR_TOKEN=OPERATOR,
        BALANCE_LOW_THRESHOLD="10000",
        BALANCE_CHECK_INTERVAL_SECONDS="0",
        WORKER_POLL_SECONDS="0.2",
        WEBHOOK_POLL_SECONDS="0.2",
    )
    yield gateway
    gateway.process.stop()
    httpx.post(f"{simulator.url}/simulator/balances", json={"Utility Account": OPENING_UTILITY}, timeout=10)


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _check(http: httpx.AsyncClient, previous_check: str | None) -> dict[str, Any]:
    asked = await http.post("/api/v1/operator/balance/check", headers=OPERATOR_HEADERS)
    assert asked.status_code == 202, asked.text
    check_id = asked.json()["data"]["id"]
    assert check_id != previous_check
    async with asyncio.timeout(15):
        while True:
            shown = (await http.get("/api/v1/mpesa/balances")).json()
            last = shown["last_check"]
            if last is not None and last["id"] == check_id and last["status"] != "accepted":
                return shown
            await asyncio.sleep(0.1)


async def _low_events(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    async with asyncio.timeout(10):
        while True:
            events = (await http.get("/api/v1/events", params={"type": "balance.*"})).json()["data"]
            if events:
                return events
            await asyncio.sleep(0.1)


async def test_a_check_stores_every_account_and_shows_it_in_metrics_and_the_read_api(
    balance_gateway: Gateway, simulator: Simulator
) -> None:
    async with (
        httpx.AsyncClient(base_url=balance_gateway.https, verify=balance_gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=10) as sim,
    ):
        await sim.post("/simulator/balances", json={"Utility Account": "5000.00"})

        shown = await _check(http, None)
        metrics = _samples((await http.get("/metrics")).text)

        accounts = {account["account"]: account for account in shown["accounts"]}
        assert shown["last_check"]["status"] == "answered"
        assert {"Working Account", "Utility Account", "Charges Paid Account"} <= set(accounts)
        assert accounts["Utility Account"]["available"] == "5000.00"
        assert accounts["Utility Account"]["low"] is True
        assert metrics[UTILITY_GAUGE] == 5000.0
        assert ("mpesa_account_balance", frozenset({("account", "Working Account"), ("currency", "KES")})) in metrics


async def test_balance_low_fires_once_per_crossing_and_recovery_is_an_event_too(
    balance_gateway: Gateway, simulator: Simulator
) -> None:
    async with (
        httpx.AsyncClient(base_url=balance_gateway.https, verify=balance_gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=10) as sim,
    ):
        await sim.post("/simulator/balances", json={"Utility Account": "4000.00"})
        first = await _check(http, None)
        second = await _check(http, first["last_check"]["id"])  # still low: no second event
        events = await _low_events(http)
        await asyncio.sleep(1.0)  # time for a wrongly relayed second event to show
        still = (await http.get("/api/v1/events", params={"type": "balance.*"})).json()["data"]

        assert [event["type"] for event in events] == ["balance.low"]
        assert [event["type"] for event in still] == ["balance.low"]
        assert still[0]["data"]["account"] == "Utility Account"
        assert still[0]["data"]["threshold"] == "10000"
        assert {a["account"]: a for a in second["accounts"]}["Utility Account"]["available"] == "4000.00"

        await sim.post("/simulator/balances", json={"Utility Account": "50000.00"})
        await _check(http, second["last_check"]["id"])
        async with asyncio.timeout(10):
            while len(still) < 2:
                still = (await http.get("/api/v1/events", params={"type": "balance.*"})).json()["data"]
                await asyncio.sleep(0.1)
        assert [event["type"] for event in still] == ["balance.low", "balance.recovered"]


async def test_a_withdrawal_the_known_balance_cannot_cover_is_sent_and_counted(
    balance_gateway: Gateway, simulator: Simulator
) -> None:
    async with (
        httpx.AsyncClient(base_url=balance_gateway.https, verify=balance_gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=10) as sim,
    ):
        await sim.post("/simulator/balances", json={"Utility Account": "100.00"})
        await _check(http, None)
        before = _samples((await http.get("/metrics")).text).get(
            ("mpesa_gateway_withdrawals_uncovered_total", frozenset()), 0.0
        )

        queued = await http.post(
            "/api/v1/mpesa/b2c/withdraw",
            json={"hash": "uncovered", "phone": fresh_phone(), "amount": 500, "description": "Uncovered"},
        )
        assert queued.status_code == 201, queued.text
        withdrawal_id = queued.json()["data"]["id"]
        async with asyncio.timeout(15):
            while True:
                found = (await http.get(f"/api/v1/payments/{withdrawal_id}")).json()
                if found["data"]["status"] != "queued":
                    break
                await asyncio.sleep(0.1)
        after = _samples((await http.get("/metrics")).text)

        assert found["data"]["status"] in ("submitted", "success")
        assert after[("mpesa_gateway_withdrawals_uncovered_total", frozenset())] == before + 1
