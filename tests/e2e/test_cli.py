"""The command line a newcomer meets: --help lists every command, each names the variables it reads, and
`config` prints the effective settings with secrets hidden."""

import os
import subprocess

import pytest

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
    assert lines["DARAJA_PASSKEY"].strip() == "# unset"


def test_config_refuses_a_bad_value_like_serve() -> None:
    result = run("config", APP_PORT="not-a-port")

    assert result.returncode != 0
    assert "APP_PORT" in result.stderr
