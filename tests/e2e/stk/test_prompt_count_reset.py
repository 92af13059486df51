"""In simulator mode, the per-phone prompt limit can be reset (docs/simulator.md): over HTTP and with
`mpesa-gateway prompts reset`, so that trying the examples again on one phone need not wait out the window."""

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.gateway_settings import DATABASE
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, cli, start_gateway

LIMIT = 2


@pytest.fixture(scope="module")
def limited_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        STK_PROMPTS_PER_PHONE=str(LIMIT),
    )
    yield gateway
    gateway.process.stop()


def push(client: httpx.Client, phone: str) -> httpx.Response:
    """A push; when it prompted, only once it has ended (the simulator, like Daraja, keeps one prompt per phone)."""
    response = client.post(
        "/api/v1/mpesa/stk/push",
        json={"phone": phone, "amount": 100, "description": "again and again", "hash": "prompt-reset"},
    )
    if response.status_code == 201:
        payment_id = response.json()["data"]["id"]
        deadline = time.monotonic() + 30
        while client.get(f"/api/v1/payments/{payment_id}").json()["data"]["status"] == "pending":
            assert time.monotonic() < deadline, f"payment {payment_id} still pending"
            time.sleep(0.1)
    return response


def exhaust(client: httpx.Client, phone: str) -> None:
    assert [push(client, phone).status_code for _ in range(LIMIT)] == [201] * LIMIT
    refused = push(client, phone)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert refused.json()["error"]["details"][0]["retry_after"] > 0


def test_a_phone_at_its_limit_is_prompted_again_after_a_reset(limited_gateway: Gateway) -> None:
    phone, other = fresh_phone(), fresh_phone()
    with limited_gateway.http() as client:
        exhaust(client, phone)
        exhaust(client, other)

        reset = client.post("/api/v1/simulator/prompt-counts/reset", json={"phone": "0" + phone[3:]})

        assert reset.status_code == 200, reset.text
        assert reset.json()["data"] == {"phone": phone}
        assert push(client, phone).status_code == 201
        assert push(client, other).status_code == 429  # only the phone named was reset

        assert client.post("/api/v1/simulator/prompt-counts/reset").status_code == 200  # every phone
        assert push(client, other).status_code == 201


def test_a_reset_names_a_bad_phone_and_changes_nothing(limited_gateway: Gateway) -> None:
    phone = fresh_phone()
    with limited_gateway.http() as client:
        exhaust(client, phone)

        refused = client.post("/api/v1/simulator/prompt-counts/reset", json={"phone": "12345"})

        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
        assert push(client, phone).status_code == 429


def test_the_cli_resets_the_running_gateways_count(limited_gateway: Gateway, tls_files: tuple[Path, Path]) -> None:
    phone = fresh_phone()
    with limited_gateway.http() as client:
        exhaust(client, phone)

    result = subprocess.run(
        cli("prompts", "reset", "--phone", phone),
        env={**os.environ, "APP_PORT": str(limited_gateway.port), "SSL_CERTFILE": str(tls_files[0])},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"prompt counts reset: {phone}\n"
    with limited_gateway.http() as client:
        assert push(client, phone).status_code == 201


def test_the_cli_says_when_no_gateway_answers(tmp_path: Path) -> None:
    from adapters.local_process import free_port

    port = free_port()
    result = subprocess.run(
        cli("prompts", "reset"),
        env={**os.environ, "APP_PORT": str(port), "SSL_CERTFILE": str(tmp_path / "none.pem")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: cannot reach the gateway at https://localhost:{port}")
