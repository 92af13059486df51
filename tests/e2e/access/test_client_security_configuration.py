"""Client-security settings that must stop start-up, with one line naming them (a block when several)."""

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import cli

SANDBOX = {
    "MPESA_ENV": "sandbox",
    "DARAJA_CONSUMER_KEY": "key",
    "DARAJA_CONSUMER_SECRET": "secret",
    "DARAJA_SHORTCODE": "174379",
    "DARAJA_PASSKEY": "passkey",
    "B2C_INITIATOR_PASSWORD": "password",
    "CALLBACK_BASE_URL": "https://gateway.example",
}
KEYS = "k1:" + "s" * 32


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({**SANDBOX, "CLIENT_TOKEN_KEYS": KEYS, "OPEN_WITHDRAWALS": "true"}, "OPEN_WITHDRAWALS"),
        (
            {
                **SANDBOX,
                "MPESA_ENV": "production",
                "ALLOWED_ORIGINS": "https://shop.example",
                "CLIENT_TOKEN_KEYS": KEYS,
                "OPEN_WITHDRAWALS": "true",
            },
            "OPEN_WITHDRAWALS",
        ),
        ({**SANDBOX, "CLIENT_TOKEN_KEYS": KEYS, "API_KEYS_OPTIONAL": "true"}, "API_KEYS_OPTIONAL"),
        (SANDBOX, "CLIENT_TOKEN_KEYS"),
        ({"CLIENT_AUTH": "signed"}, "CLIENT_TOKEN_KEYS"),
        ({"CLIENT_TOKEN_KEYS": "k1:too-short"}, "CLIENT_TOKEN_KEYS"),
        ({"OPERATOR_TOKEN_FILE": "/nonexistent/operator-token"}, "OPERATOR_TOKEN_FILE"),
    ],
)
def test_an_unsafe_client_security_setting_stops_the_gateway(environment: dict[str, str], named: str) -> None:
    result = subprocess.run(
        cli("serve"), env={**os.environ, **environment}, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert named in result.stderr
    assert "s" * 32 not in result.stderr


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_open_client_auth_stops_the_gateway_outside_the_simulator(environment: str) -> None:
    settings = {**SANDBOX, "MPESA_ENV": environment, "CLIENT_AUTH": "open", "ALLOWED_ORIGINS": "https://shop.example"}

    result = subprocess.run(
        cli("serve"), env={**os.environ, **settings}, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert f"CLIENT_AUTH=open is refused with MPESA_ENV={environment}" in line


def test_production_with_open_auth_any_origin_and_the_dev_certificate_is_refused_with_one_block_naming_each(
    tmp_path: Path,
) -> None:
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        cli("dev-cert"),
        env={**os.environ, "SSL_CERTFILE": str(certfile), "SSL_KEYFILE": str(keyfile)},
        capture_output=True,
        timeout=60,
        check=True,
    )
    settings = {
        **SANDBOX,
        "MPESA_ENV": "production",
        "CLIENT_AUTH": "open",
        "SSL_CERTFILE": str(certfile),
        "SSL_KEYFILE": str(keyfile),
    }

    result = subprocess.run(
        cli("serve"), env={**os.environ, **settings}, capture_output=True, text=True, timeout=60, check=False
    )

    assert made.returncode == 0
    assert result.returncode != 0
    heading, *lines = result.stderr.strip().splitlines()
    assert heading == "Error: bad configuration, 3 problems:"
    assert lines[0].startswith("  - CLIENT_AUTH=open is refused with MPESA_ENV=production")
    assert lines[1].startswith("  - ALLOWED_ORIGINS unset is refused with MPESA_ENV=production")
    assert lines[2].startswith("  - SSL_CERTFILE is a self-signed certificate (CN=localhost")
    assert "Traceback" not in result.stderr
