"""Capability tokens as JWTs: what any JWT library mints is read back; everything but an unexpired HS256 token signed
under an active key, with well-formed claims, is refused."""

import base64
import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.access.capability import B2C, STK, Capability
from domain.access.capability_token import LEEWAY, TokenKeys, looks_like_token, mint_token, read_token
from domain.shared.errors import UnauthorizedError
from domain.shared.phone import Phone

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SECRET = "o" * 32
OLD = f"old:{SECRET}"
NEW = "new:" + "n" * 32
KEYS = TokenKeys.parse(OLD)


def capability(**changes: object) -> Capability:
    fields: dict[str, object] = {
        "subject": "user123",
        "scopes": frozenset({STK}),
        "expires_at": NOW + timedelta(hours=1),
    }
    return Capability(**{**fields, **changes})  # type: ignore[arg-type]


def claims(**changes: object) -> dict[str, Any]:
    return {"sub": "user123", "exp": int((NOW + timedelta(hours=1)).timestamp()), "scope": "stk", **changes}


def signed(payload: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256", **header: Any) -> str:
    """What a merchant's backend does with PyJWT."""
    return jwt.encode(payload, secret, algorithm=algorithm, headers={"kid": "old", **header})


def b64(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def hand_signed(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """HS256 under SECRET with any header at all, even one PyJWT would not write."""
    text = f"{b64(header)}.{b64(payload)}"
    mac = hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).digest()
    return f"{text}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def refusal(token: str, keys: TokenKeys = KEYS, now: datetime = NOW) -> str:
    with pytest.raises(UnauthorizedError) as refused:
        read_token(token, keys, now)
    return refused.value.message


def test_a_minted_jwt_reads_back_as_its_claims_honoured_for_the_leeway_past_exp() -> None:
    granted = capability(scopes=frozenset({STK, B2C}), max_withdrawal=500, phone=Phone.parse("0712345678"))

    token = mint_token(KEYS, granted)

    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "old", "typ": "JWT"}
    assert jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False}) == {
        "sub": "user123",
        "exp": int(granted.expires_at.timestamp()),  # type: ignore[union-attr]
        "scope": "b2c stk",
        "max_withdrawal": 500,
        "phone": "254712345678",
    }
    assert read_token(token, KEYS, NOW) == replace(granted, expires_at=granted.expires_at + LEEWAY)  # type: ignore[operator]
    assert looks_like_token(token)


@pytest.mark.parametrize("scope", ["stk b2c", ["stk", "b2c"]], ids=["space-separated", "list"])
def test_a_jwt_from_any_library_is_read_with_either_form_of_scope(scope: object) -> None:
    token = signed(claims(scope=scope, iat=int(NOW.timestamp()), jti="abc"))

    assert read_token(token, KEYS, NOW).scopes == {STK, B2C}


def test_a_jwt_is_read_with_any_active_key_and_minted_with_the_first() -> None:
    rotated = TokenKeys.parse(f"{NEW},{OLD}")

    assert read_token(mint_token(KEYS, capability()), rotated, NOW).subject == "user123"
    assert jwt.get_unverified_header(mint_token(rotated, capability()))["kid"] == "new"


@pytest.mark.parametrize("kid", ["retired", None, 7])
def test_a_jwt_of_an_unknown_or_missing_kid_is_refused(kid: object) -> None:
    header = {"alg": "HS256", "typ": "JWT"} | ({} if kid is None else {"kid": kid})

    assert refusal(hand_signed(header, claims())).startswith("invalid token")
    assert "unknown key id" in refusal(signed(claims(), kid="retired"))


def test_a_jwt_signed_with_another_secret_under_a_known_kid_is_refused() -> None:
    assert "signature" in refusal(signed(claims(), secret="x" * 32))


def test_an_expired_jwt_is_refused_once_the_leeway_has_passed() -> None:
    token = signed(claims(exp=int(NOW.timestamp())))

    assert read_token(token, KEYS, NOW + LEEWAY - timedelta(seconds=1)).subject == "user123"
    assert "expired" in refusal(token, now=NOW + LEEWAY)


def test_a_jwt_before_its_nbf_is_refused_beyond_the_leeway() -> None:
    token = signed(claims(nbf=int((NOW + LEEWAY + timedelta(seconds=1)).timestamp())))

    assert "not valid yet" in refusal(token)
    assert read_token(token, KEYS, NOW + timedelta(seconds=1)).subject == "user123"


def test_an_unsigned_jwt_is_refused() -> None:
    none = f"{b64({'alg': 'none', 'kid': 'old', 'typ': 'JWT'})}.{b64(claims())}."
    by_pyjwt = jwt.encode(claims(), None, algorithm="none", headers={"kid": "old"})

    assert "HS256" in refusal(none)
    assert "HS256" in refusal(by_pyjwt)
    assert looks_like_token(none) and looks_like_token(by_pyjwt)


def test_another_hmac_with_the_right_secret_is_refused() -> None:
    long_secret = "l" * 64  # HS512's recommended minimum
    keys = TokenKeys.parse(f"old:{long_secret}")

    assert "HS256" in refusal(signed(claims(), secret=long_secret, algorithm="HS512"), keys)


def test_a_public_key_algorithm_is_refused_whatever_it_is_signed_with() -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rs256 = jwt.encode(claims(), private_key, algorithm="RS256", headers={"kid": "old"})
    # The classic confusion: RS256 named in the header, the "signature" an HMAC under the shared secret.
    _, payload, signature = signed(claims()).split(".")
    relabelled = f"{b64({'alg': 'RS256', 'kid': 'old', 'typ': 'JWT'})}.{payload}.{signature}"

    assert "HS256" in refusal(rs256)
    assert "HS256" in refusal(relabelled)


@pytest.mark.parametrize(
    "change",
    [{"scope": "stk b2c"}, {"sub": "another-customer"}, {"exp": 4102444800}, {"max_withdrawal": 10**6}],
    ids=["widened-scope", "another-hash", "later-expiry", "higher-maximum"],
)
def test_a_jwt_with_a_changed_payload_is_refused(change: dict[str, Any]) -> None:
    header, _, signature = signed(claims(max_withdrawal=500)).split(".")
    forged = f"{header}.{b64({**claims(max_withdrawal=500), **change})}.{signature}"

    assert "signature" in refusal(forged)


@pytest.mark.parametrize(
    "payload",
    [
        {"exp": int(NOW.timestamp()) + 60, "scope": "stk"},
        {"sub": "user123", "scope": "stk"},
        {"sub": "user123", "exp": int(NOW.timestamp()) + 60},
    ],
    ids=["no-sub", "no-exp", "no-scope"],
)
def test_a_jwt_without_a_required_claim_is_refused_naming_it(payload: dict[str, Any]) -> None:
    missing = ({"sub", "exp", "scope"} - payload.keys()).pop()

    assert f"the {missing} claim is missing" in refusal(signed(payload))


@pytest.mark.parametrize(
    "change",
    [
        {"sub": "a/b"},
        {"sub": 42},
        {"exp": "tomorrow"},
        {"exp": 1e30},
        {"scope": "stk admin"},
        {"scope": ""},
        {"scope": [1]},
        {"max_withdrawal": 0},
        {"phone": "not a phone"},
        {"nbf": "soon"},
        {"aud": "someone-else"},
    ],
)
def test_a_jwt_with_a_malformed_claim_is_refused(change: dict[str, Any]) -> None:
    refusal(signed(claims(**change)))


@pytest.mark.parametrize(
    "damage",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token + ".extra",
        lambda token: token.rsplit(".", 1)[0] + ".",
        lambda token: "eyJ.é.é",
        lambda token: "eyJub3QganNvbg.e30.AAAA",
    ],
)
def test_a_damaged_jwt_is_refused(damage: Any) -> None:
    refusal(damage(signed(claims())))


def test_a_jwt_with_a_critical_extension_is_refused() -> None:
    refusal(hand_signed({"alg": "HS256", "kid": "old", "crit": ["exp"], "exp": 1}, claims()))


@pytest.mark.parametrize("plain", ["user123", "shop:42", "a.b.c", "order.2026.12"])
def test_a_plain_subject_does_not_look_like_a_token(plain: str) -> None:
    assert not looks_like_token(plain)
