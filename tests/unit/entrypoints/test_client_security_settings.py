"""Client authorisation settings: modes by environment, secrets from files, and the settings that refuse to start."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pydantic
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from domain.access.capability import B2C, C2B, STK, Capability
from domain.access.capability_token import TokenKeys, mint_token
from domain.shared.errors import UnauthorizedError
from entrypoints.dev_certificate import ensure_dev_certificate
from entrypoints.settings import PROBLEM_SEPARATOR, ClientAuth, Settings
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


def test_every_secret_file_problem_is_named_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "passkey").write_text("from-a-file")
    monkeypatch.setenv("DARAJA_PASSKEY_FILE", str(tmp_path / "passkey"))
    monkeypatch.setenv("DARAJA_PASSKEY", "from-the-environment")
    monkeypatch.setenv("OPERATOR_TOKEN_FILE", str(tmp_path / "missing"))

    with pytest.raises(pydantic.ValidationError) as refused:
        Settings()

    said = str(refused.value)
    assert "set DARAJA_PASSKEY or DARAJA_PASSKEY_FILE, not both" in said
    assert f"OPERATOR_TOKEN_FILE: cannot read {tmp_path / 'missing'}" in said


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


def test_open_mode_takes_plain_subjects_for_payments_but_withdrawals_only_when_opened() -> None:
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


def test_a_till_screen_watches_c2b_with_a_plain_subject_when_open_and_with_the_c2b_scope_when_signed() -> None:
    clock = FixedClock()
    keys = TokenKeys.parse(KEYS)
    watcher = mint_token(keys, Capability("till-7", frozenset({C2B}), clock.now() + timedelta(minutes=5)))
    payer = mint_token(keys, Capability("till-7", frozenset({STK}), clock.now() + timedelta(minutes=5)))

    assert authorisation(signed=False).admit("till-7", C2B).subject == "till-7"
    assert authorisation(signed=True).admit(watcher, C2B).subject == "till-7"
    with pytest.raises(UnauthorizedError, match="c2b"):
        authorisation(signed=True).admit(payer, C2B)
    with pytest.raises(UnauthorizedError):
        authorisation(signed=True).admit("till-7", C2B)


PRODUCTION = {**SANDBOX, "mpesa_env": "production", "client_token_keys": KEYS}
SHOP = "https://shop.example"


def ca_issued_certificate(path: Path) -> Path:
    """A leaf certificate signed by a CA of its own: what a public gateway serves, not self-signed."""
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gateway.example")])
    now = datetime.now(UTC)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return path


def refusal(**settings: object) -> str:
    with pytest.raises(pydantic.ValidationError) as refused:
        Settings(**settings)  # type: ignore[arg-type]
    [error] = refused.value.errors()
    return str(error["msg"])


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_open_client_auth_is_refused_outside_the_simulator(environment: str) -> None:
    message = refusal(**{**PRODUCTION, "mpesa_env": environment}, client_auth="open", allowed_origins=SHOP, tls=False)

    assert f"CLIENT_AUTH=open is refused with MPESA_ENV={environment}" in message


@pytest.mark.parametrize("origins", ["", "*", f"{SHOP}, *"], ids=["unset", "any", "any-among-others"])
def test_production_needs_its_origins_listed(origins: str) -> None:
    assert "ALLOWED_ORIGINS" in refusal(**PRODUCTION, allowed_origins=origins, tls=False)


def test_sandbox_may_leave_origins_unset_which_admits_only_its_own(tmp_path: Path) -> None:
    ensure_dev_certificate(tmp_path / "cert.pem", tmp_path / "key.pem")
    sandbox = Settings(**SANDBOX, client_token_keys=KEYS, ssl_certfile=tmp_path / "cert.pem")  # type: ignore[arg-type]

    assert sandbox.origin_allow_list() == frozenset({"https://gateway.example"})


def test_production_refuses_the_dev_certificate(tmp_path: Path) -> None:
    ensure_dev_certificate(tmp_path / "cert.pem", tmp_path / "key.pem")

    message = refusal(**PRODUCTION, allowed_origins=SHOP, ssl_certfile=tmp_path / "cert.pem")

    assert "SSL_CERTFILE is a self-signed certificate (CN=localhost" in message


def test_production_takes_a_ca_issued_certificate_or_none_behind_a_proxy(tmp_path: Path) -> None:
    certificate = ca_issued_certificate(tmp_path / "cert.pem")
    ensure_dev_certificate(tmp_path / "dev.pem", tmp_path / "dev-key.pem")

    assert Settings(**PRODUCTION, allowed_origins=SHOP, ssl_certfile=certificate).client_exposure_problems() == []  # type: ignore[arg-type]
    assert Settings(**PRODUCTION, allowed_origins=SHOP, tls=False, ssl_certfile=tmp_path / "dev.pem")  # type: ignore[arg-type]


def test_every_problem_is_named_in_one_message(tmp_path: Path) -> None:
    ensure_dev_certificate(tmp_path / "cert.pem", tmp_path / "key.pem")

    message = refusal(
        **PRODUCTION,
        client_auth="open",
        open_withdrawals=True,
        api_keys_optional=True,
        ssl_certfile=tmp_path / "cert.pem",
    )

    named = ["OPEN_WITHDRAWALS=true", "API_KEYS_OPTIONAL=true", "CLIENT_AUTH=open", "ALLOWED_ORIGINS unset"]
    named.append("SSL_CERTFILE")
    assert [name for name in named if name in message] == named
    assert len(message.split(PROBLEM_SEPARATOR)) == len(named)


def test_the_simulator_refuses_none_of_them() -> None:
    assert Settings(client_auth="open", open_withdrawals=True, api_keys_optional=True).client_exposure_problems() == []  # type: ignore[arg-type]
