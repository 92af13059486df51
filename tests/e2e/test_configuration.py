"""A bad configuration stops start-up with one clear line."""

import os
import subprocess

import pytest

from tests.support.processes import cli


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"APP_PORT": "not-a-port"}, "APP_PORT"),
        ({"MPESA_ENV": "staging"}, "MPESA_ENV"),
        ({"MPESA_ENV": "production"}, "DARAJA_CONSUMER_KEY"),
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
