"""The command line a newcomer meets: --help lists every command, each names the variables it reads, `config`
prints the effective settings with secrets hidden, and the one-shot commands work beside a running gateway."""

import os
import subprocess
from pathlib import Path

import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.cli import main
from entrypoints.settings import Settings
from tests.support.processes import cli

SECRET = "not-for-your-eyes-0123456789-abcdefghij"


def run(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*arguments), env={**os.environ, **environment}, capture_output=True, text=True, timeout=60, check=False
    )


def test_help_lists_every_command() -> None:
    result = run("--help")

    assert result.returncode == 0
    for command in main.commands:
        assert command in result.stdout
    assert {"serve", "worker", "migrate", "simulator", "dev-cert", "config", "apikey"} <= set(main.commands)
    assert "mpesa-gateway config" in result.stdout


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ("serve", ["APP_PORT", "MONGODB_URL", "MPESA_ENV", "DARAJA_CONSUMER_KEY", "OPERATOR_TOKEN"]),
        ("worker", ["MONGODB_URL", "DARAJA_BASE_URL", "WORKER_POLL_SECONDS"]),
        ("migrate", ["MONGODB_URL", "MONGODB_DATABASE"]),
        ("apikey", ["MONGODB_URL", "MONGODB_DATABASE"]),
        ("simulator", ["SIM_CALLBACK_DELAY"]),
        ("dev-cert", ["SSL_CERTFILE", "SSL_KEYFILE"]),
        ("config", ["LOG_LEVEL"]),
    ],
)
def test_each_command_names_the_variables_it_reads(command: str, names: list[str]) -> None:
    result = run(command, "--help")
    text = " ".join(result.stdout.split())  # click wraps long lines

    assert result.returncode == 0
    for name in names:
        assert name in text
    if command != "simulator":
        assert "mpesa-gateway config" in text


def test_config_prints_every_setting_and_hides_secrets() -> None:
    result = run(
        "config",
        DARAJA_CONSUMER_SECRET=SECRET,
        B2C_INITIATOR_PASSWORD=SECRET,
        OPERATOR_TOKEN=SECRET,
        MONGODB_URL=f"mongodb://gateway:{SECRET}@db.example:27017/payments",
        REDIS_URL=f"redis://:{SECRET}@cache.example:6379/0",
        APP_PORT="4443",
    )

    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert set(lines) == {name.upper() for name in Settings.model_fields}
    assert SECRET not in result.stdout
    assert lines["DARAJA_CONSUMER_SECRET"] == "********"
    assert lines["OPERATOR_TOKEN"] == "********"
    assert lines["MONGODB_URL"] == "mongodb://gateway:********@db.example:27017/payments"
    assert lines["REDIS_URL"] == "redis://:********@cache.example:6379/0"
    assert lines["APP_PORT"] == "4443"
    # Unset, but in effect: the simulator's public passkey (hidden like any secret), and open clients by default.
    assert lines["DARAJA_PASSKEY"] == "********  # unset: the simulator's own public value, in effect"
    assert lines["CLIENT_AUTH"] == "open  # unset: the default with MPESA_ENV=simulator"
    assert lines["CLIENT_TOKEN_KEYS"].strip() == "# unset"


def test_config_refuses_a_bad_value_like_serve() -> None:
    result = run("config", APP_PORT="not-a-port")

    assert result.returncode != 0
    assert "APP_PORT" in result.stderr


def test_log_level_is_read_in_any_case() -> None:
    result = run("config", LOG_LEVEL="debug")

    assert result.returncode == 0, result.stderr
    assert "LOG_LEVEL=DEBUG" in result.stdout.splitlines()


def test_apikey_create_beside_a_running_gateway_joins_its_store_and_prints_only_the_key(tmp_path: Path) -> None:
    # What `make run` leaves running: the embedded store on DATA_DIR, owned by the gateway process.
    with EmbeddedMongo(tmp_path / "mongo") as store:
        environment = {"DATA_DIR": str(tmp_path), "MONGODB_DATABASE": "cli_beside_gateway"}
        created = run("apikey", "create", "--name", "checkout-backend", **environment)
        listed = run("apikey", "list", **environment)
        assert store.running  # the command used the gateway's store and left it running

    assert created.returncode == 0, created.stderr
    assert created.stdout.splitlines() == [created.stdout.strip()]  # the key alone: logs go to stderr
    assert "embedded_store_joined" in created.stderr
    assert "Traceback" not in created.stderr
    assert listed.returncode == 0, listed.stderr
    assert "checkout-backend" in listed.stdout
