"""A bad configuration stops start-up with one clear line (or one short block when several things are wrong)."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

from adapters.local_process import free_port
from tests.support.processes import cli


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"APP_PORT": "not-a-port"}, "APP_PORT"),
        ({"MPESA_ENV": "staging"}, "MPESA_ENV"),
        ({"B2C_MIN_AMOUNT": "5000", "B2C_MAX_AMOUNT": "100"}, "B2C_MIN_AMOUNT"),
    ],
)
def test_a_bad_setting_stops_the_gateway_with_one_line_naming_it(environment: dict[str, str], named: str) -> None:
    result = subprocess.run(
        cli("serve"), env={**os.environ, **environment}, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert named in result.stderr


def test_every_bad_setting_is_named_at_once_with_its_accepted_form() -> None:
    # Two values no field accepts, and a sandbox missing what it needs: one attempt names them all.
    environment = {**os.environ, "APP_PORT": "not-a-port", "LOG_LEVEL": "loud", "MPESA_ENV": "sandbox"}
    for name in ("CALLBACK_BASE_URL", "CLIENT_TOKEN_KEYS", "DARAJA_CONSUMER_KEY", "CLIENT_AUTH"):
        environment.pop(name, None)

    result = subprocess.run(cli("serve"), env=environment, capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Error: bad configuration, 5 problems:"
    said = "\n".join(lines[1:])
    assert "APP_PORT=not-a-port" in said and "accepted: whole number, 1 to 65535" in said
    assert "LOG_LEVEL=LOUD" in said and "`DEBUG`, `INFO`, `WARNING` or `ERROR`" in said
    assert "MPESA_ENV=sandbox needs DARAJA_CONSUMER_KEY" in said
    assert "CALLBACK_BASE_URL" in said
    assert "CLIENT_TOKEN_KEYS" in said and "kid:secret" in said


def test_a_secret_given_twice_is_said_together_with_every_other_problem(tmp_path: Path) -> None:
    (tmp_path / "passkey").write_text("from-a-file")
    environment = {
        **os.environ,
        "DARAJA_PASSKEY": "from-the-environment",
        "DARAJA_PASSKEY_FILE": str(tmp_path / "passkey"),
        "OPERATOR_TOKEN_FILE": str(tmp_path / "missing"),
        "APP_PORT": "not-a-port",
        "B2C_MIN_AMOUNT": "5000",
        "B2C_MAX_AMOUNT": "100",
    }

    result = subprocess.run(cli("serve"), env=environment, capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Error: bad configuration, 4 problems:", result.stderr
    said = "\n".join(lines[1:])
    assert "set DARAJA_PASSKEY or DARAJA_PASSKEY_FILE, not both" in said
    assert f"OPERATOR_TOKEN_FILE: cannot read {tmp_path / 'missing'}" in said
    assert "APP_PORT=not-a-port" in said and "accepted: whole number, 1 to 65535" in said
    assert "B2C_MIN_AMOUNT" in said


def test_a_bare_production_configuration_is_told_everything_it_lacks() -> None:
    result = subprocess.run(
        cli("serve"), env={**os.environ, "MPESA_ENV": "production"}, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for needed in ("DARAJA_CONSUMER_KEY", "B2C_INITIATOR_PASSWORD", "CALLBACK_BASE_URL", "ALLOWED_ORIGINS"):
        assert needed in result.stderr


def serve(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "APP_HOST": "127.0.0.1",
        "APP_PORT": str(free_port()),
        "DATA_DIR": str(tmp_path / "var"),
        "SSL_CERTFILE": str(tmp_path / "cert.pem"),
        "SSL_KEYFILE": str(tmp_path / "key.pem"),
        "MONGODB_TIMEOUT_SECONDS": "1",
        **environment,
    }
    return subprocess.run(cli("serve"), env=env, capture_output=True, text=True, timeout=60, check=False)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """What the gateway said when it refused to start: one short block on stderr, nothing from deep inside."""
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("Error: cannot start:")
    return result.stderr


def test_an_unreachable_store_is_named_with_what_to_do(tmp_path: Path) -> None:
    said = refusal(serve(tmp_path, MONGODB_URL=f"mongodb://gateway:hunter2secret@127.0.0.1:{free_port()}"))

    assert "did not answer within 1 s" in said and "unset it for the embedded store" in said
    assert "hunter2secret" not in said


def test_a_malformed_store_url_is_named_with_the_accepted_form(tmp_path: Path) -> None:
    said = refusal(serve(tmp_path, MONGODB_URL="localhost:27017"))

    assert "MONGODB_URL=localhost:27017 is not a MongoDB URL" in said
    assert "mongodb://" in said


def test_a_missing_key_and_garbage_certificate_are_each_named_with_their_path(tmp_path: Path) -> None:
    # Only one file of the pair present: the development pair is not written over it, and both problems are said.
    (tmp_path / "cert.pem").write_text("not a certificate")
    said = refusal(serve(tmp_path))

    assert f"SSL_KEYFILE={tmp_path / 'key.pem'} does not exist" in said
    assert (tmp_path / "cert.pem").read_text() == "not a certificate"

    (tmp_path / "key.pem").write_text("not a key either")
    said = refusal(serve(tmp_path))
    assert f"SSL_CERTFILE={tmp_path / 'cert.pem'} and SSL_KEYFILE={tmp_path / 'key.pem'} are not a PEM" in said


def test_a_missing_certificate_is_named_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_text("a key without its certificate")
    said = refusal(serve(tmp_path))

    assert f"SSL_CERTFILE={tmp_path / 'cert.pem'} does not exist" in said
    assert not (tmp_path / "cert.pem").exists()


def test_a_port_in_use_and_a_bad_url_are_said_together(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        said = refusal(serve(tmp_path, APP_PORT=str(port), MONGODB_URL="nonsense"))

    lines = said.splitlines()
    assert lines[0] == "Error: cannot start:"
    assert any(f"APP_PORT={port}: something already listens" in line for line in lines[1:])
    assert any("MONGODB_URL=nonsense is not a MongoDB URL" in line for line in lines[1:])
