"""Registering the C2B URLs end to end, against the bundled simulator: the operator API and `mpesa-gateway c2b
register-urls` tell Daraja the gateway's hook URLs for the shortcode, and the simulated customer's payment then
reaches the gateway through them; without a hook secret nothing is registered."""

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.settings import C2B_CONFIRMATION_PATH, C2B_VALIDATION_PATH
from tests.support.processes import Gateway, Simulator, cli, start_gateway

DATABASE = "c2b_register_e2e"
SECRET = "c2b-register-secret-0123456789abcdef01"
OPERATOR = "c2b-operator-token-0123456789abcdef"
OPERATOR_HEADERS = {"Authorization": f"Bearer {OPERATOR}"}


@pytest.fixture(scope="module")
def registering_gateway(
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
        OPERATOR_TOKEN=OPERATOR,
        BALANCE_CHECK_INTERVAL_SECONDS="0",
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def unconfigured_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        OPERATOR_TOKEN=OPERATOR,
        BALANCE_CHECK_INTERVAL_SECONDS="0",
    )
    yield gateway
    gateway.process.stop()


def _registrations(simulator: Simulator) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{simulator.url}/simulator/c2b/registrations", timeout=10).json()["urls"]
    return found


def _register_calls(simulator: Simulator) -> int:
    calls: int = httpx.get(f"{simulator.url}/simulator/stats", timeout=10).json()["c2b"]["register_calls"]
    return calls


def _cli(store: EmbeddedMongo, simulator: Simulator, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MONGODB_URL": store.url,
        "MONGODB_DATABASE": DATABASE,
        "DARAJA_BASE_URL": simulator.url,
        **environment,
    }
    return subprocess.run(cli("c2b", "register-urls"), env=env, capture_output=True, text=True, timeout=60, check=False)


async def test_the_operator_registers_the_hook_urls_and_the_customer_pays_through_them(
    registering_gateway: Gateway, simulator: Simulator
) -> None:
    async with (
        httpx.AsyncClient(base_url=registering_gateway.https, verify=registering_gateway.tls, timeout=10) as http,
        httpx.AsyncClient(base_url=simulator.url, timeout=20) as sim,
    ):
        registered = await http.post("/api/v1/operator/c2b/register-urls", headers=OPERATOR_HEADERS)
        urls = _registrations(simulator)["600984"]
        created = await http.post(
            "/api/v1/mpesa/c2b/requests",
            json={
                "hash": "c2b-register-shop",
                "account_reference": "REG-0001",
                "amount_rule": "exact",
                "amount": 150,
                "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            },
        )
        paid = await sim.post("/simulator/c2b/pay", json={"account": "reg-0001", "amount": 150})
        stored = await http.get(f"/api/v1/mpesa/c2b/payments/{paid.json()['trans_id']}")

    assert registered.status_code == 200, registered.text
    assert registered.json()["data"] == {
        "shortcode": "600984",
        "response_type": "Cancelled",
        "validation_url": f"{registering_gateway.https}{C2B_VALIDATION_PATH}/********",
        "confirmation_url": f"{registering_gateway.https}{C2B_CONFIRMATION_PATH}/********",
        "already_registered": False,
        "note": "",
    }
    assert SECRET not in registered.text
    assert urls["confirmation_url"] == f"{registering_gateway.https}{C2B_CONFIRMATION_PATH}/{SECRET}"
    assert urls["validation_url"] == f"{registering_gateway.https}{C2B_VALIDATION_PATH}/{SECRET}"
    assert urls["response_type"] == "Cancelled"
    assert created.status_code == 201, created.text
    assert paid.json()["validation"] == "accepted"
    assert paid.json()["outcome"] == "completed"
    assert stored.status_code == 200, stored.text
    assert stored.json()["match"] == "applied"
    assert stored.json()["request_id"] == created.json()["data"]["id"]


async def test_registering_without_the_operator_token_is_refused_and_sends_nothing(
    registering_gateway: Gateway, simulator: Simulator
) -> None:
    before = _register_calls(simulator)
    async with httpx.AsyncClient(
        base_url=registering_gateway.https, verify=registering_gateway.tls, timeout=10
    ) as http:
        refused = await http.post("/api/v1/operator/c2b/register-urls", headers={"Authorization": "Bearer wrong"})

    assert refused.status_code == 401
    assert _register_calls(simulator) == before


async def test_without_a_hook_secret_the_operator_gets_c2b_not_configured_and_daraja_is_not_called(
    unconfigured_gateway: Gateway, simulator: Simulator
) -> None:
    before = _register_calls(simulator)
    async with httpx.AsyncClient(
        base_url=unconfigured_gateway.https, verify=unconfigured_gateway.tls, timeout=10
    ) as http:
        refused = await http.post("/api/v1/operator/c2b/register-urls", headers=OPERATOR_HEADERS)

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "C2B_NOT_CONFIGURED"
    assert _register_calls(simulator) == before


def test_the_cli_registers_the_public_urls_for_the_configured_shortcode(
    store: EmbeddedMongo, simulator: Simulator
) -> None:
    result = _cli(
        store,
        simulator,
        C2B_HOOK_SECRET=SECRET,
        C2B_SHORTCODE="600986",
        CALLBACK_BASE_URL="https://pay.example.com",
    )

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)  # only the result on stdout: the logs go to stderr
    assert shown["shortcode"] == "600986"
    assert shown["response_type"] == "Completed"
    assert shown["confirmation_url"] == f"https://pay.example.com{C2B_CONFIRMATION_PATH}/********"
    assert SECRET not in result.stdout + result.stderr
    urls = _registrations(simulator)["600986"]
    assert urls["confirmation_url"] == f"https://pay.example.com{C2B_CONFIRMATION_PATH}/{SECRET}"
    assert urls["validation_url"] == f"https://pay.example.com{C2B_VALIDATION_PATH}/{SECRET}"
    assert urls["response_type"] == "Completed"


def test_the_cli_without_a_hook_secret_registers_nothing(store: EmbeddedMongo, simulator: Simulator) -> None:
    before = _register_calls(simulator)

    result = _cli(store, simulator, C2B_SHORTCODE="600987")

    assert result.returncode == 1
    assert result.stdout == ""
    assert "C2B_HOOK_SECRET" in result.stderr
    assert "600987" not in _registrations(simulator)
    assert _register_calls(simulator) == before
