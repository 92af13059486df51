"""Client-security settings that must stop start-up, with one line naming them."""

import os
import subprocess

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
            {**SANDBOX, "MPESA_ENV": "production", "CLIENT_TOKEN_KEYS": KEYS, "OPEN_WITHDRAWALS": "true"},
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
