"""Client authorisation settings: modes by environment, secrets from files, and the settings that refuse to start."""

from datetime import timedelta
from pathlib import Path

import pydantic
import pytest

from domain.capability import B2C, STK, Capability
from domain.capability_token import TokenKeys, mint_token
from domain.errors import UnauthorizedError
from entrypoints.settings import ClientAuth, Settings
from entrypoints.ws.authorisation import ClientAuthorisation
from tests.unit.fakes import FixedClock

KEYS = "k1:" + "s" * 32
SANDBOX = {
    "mpesa_env": "sandbox",
    "daraja_consumer_key": "key",
    "daraja_consumer_secret": "secret",
    "daraja_shortcode": "174379",
    "daraja_passkey": "passkey",
    "b2c_initiator_password": "password",
    "callback_base_url": "https://gateway.example",
}


def test_open_with_the_simulator_and_signed_with_real_daraja() -> None:
    assert Settings().client_auth_mode() is ClientAuth.OPEN
    assert Settings(**SANDBOX, client_token_keys=KEYS).client_auth_mode() is ClientAuth.SIGNED  # type: ignore[arg-type]


def test_signed_mode_needs_keys() -> None:
    with pytest.raises(pydantic.ValidationError, match="CLIENT_TOKEN_KEYS"):
        Settings(**SANDBOX)  # type: ignore[arg-type]


def test_open_withdrawals_are_refused_outside_the_simulator() -> None:
    with pytest.raises(pydantic.ValidationError, match="OPEN_WITHDRAWALS"):
        Settings(**SANDBOX, client_token_keys=KEYS, open_withdrawals=True)  # type: ignore[arg-type]


def test_keyless_server_requests_are_refused_outside_the_simulator() -> None:
    with pytest.raises(pydantic.ValidationError, match="API_KEYS_OPTIONAL"):
        Settings(**SANDBOX, client_token_keys=KEYS, api_keys_optional=True)  # type: ignore[arg-type]


def test_a_secret_is_read_from_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "passkey").write_text("from-a-file\n")
    monkeypatch.setenv("DARAJA_PASSKEY_FILE", str(tmp_path / "passkey"))

    assert Settings().passkey() == "from-a-file"


def test_a_secret_given_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "passkey").write_text("from-a-file")
    monkeypatch.setenv("DARAJA_PASSKEY_FILE", str(tmp_path / "passkey"))
    monkeypatch.setenv("DARAJA_PASSKEY", "from-the-environment")

    with pytest.raises(pydantic.ValidationError, match="not both"):
        Settings()


def test_origins_any_in_open_mode_and_the_gateways_own_in_signed_mode() -> None:
    signed = Settings(**SANDBOX, client_token_keys=KEYS)  # type: ignore[arg-type]

    assert Settings().origin_allow_list() is None
    assert signed.origin_allow_list() == frozenset({"https://gateway.example"})
    assert Settings(allowed_origins="https://Shop.example/, https://b.example").origin_allow_list() == frozenset(
        {"https://shop.example", "https://b.example"}
    )
    assert Settings(**SANDBOX, client_token_keys=KEYS, allowed_origins="*").origin_allow_list() is None  # type: ignore[arg-type]


def authorisation(*, signed: bool, open_withdrawals: bool = False) -> ClientAuthorisation:
    return ClientAuthorisation(
        signed=signed, keys=TokenKeys.parse(KEYS), open_withdrawals=open_withdrawals, clock=FixedClock()
    )


def test_open_mode_takes_plain_hashes_for_payments_but_withdrawals_only_when_opened() -> None:
    assert authorisation(signed=False).admit("user123", STK).subject == "user123"
    with pytest.raises(UnauthorizedError, match="b2c"):
        authorisation(signed=False).admit("user123", B2C)
    assert authorisation(signed=False, open_withdrawals=True).admit("user123", B2C).subject == "user123"


def test_signed_mode_takes_only_tokens_and_the_subject_names_the_socket() -> None:
    clock = FixedClock()
    token = mint_token(
        TokenKeys.parse(KEYS), Capability("shop-user-7", frozenset({STK}), clock.now() + timedelta(minutes=5))
    )

    with pytest.raises(UnauthorizedError):
        authorisation(signed=True, open_withdrawals=True).admit("user123", STK)
    assert authorisation(signed=True).admit(token, STK).subject == "shop-user-7"
