"""Capability tokens: minted and read back, refused when tampered, expired, out of scope or signed by a retired key.
JWTs are the format; v1 tokens are read during their deprecation window (the `v1` tests below)."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.access.capability import B2C, STK, Capability
from domain.access.capability_token import TokenKeys, looks_like_token, mint_v1_token, read_token
from domain.shared.errors import LimitExceededError, UnauthorizedError
from domain.shared.phone import Phone

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
OLD = "old:" + "o" * 32
NEW = "new:" + "n" * 32


def capability(**changes: object) -> Capability:
    fields: dict[str, object] = {
        "subject": "user123",
        "scopes": frozenset({STK}),
        "expires_at": NOW + timedelta(hours=1),
    }
    return Capability(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_minted_v1_token_reads_back_as_its_claims() -> None:
    keys = TokenKeys.parse(OLD)
    claims = capability(scopes=frozenset({STK, B2C}), max_withdrawal=500, phone=Phone.parse("0712345678"))

    token = mint_v1_token(keys, claims)

    assert read_token(token, keys, NOW) == claims
    assert looks_like_token(token)
    assert token.startswith("v1.old.")
    assert "=" not in token and "/" not in token and "+" not in token


def test_a_v1_token_is_read_with_any_active_key_and_minted_with_the_first() -> None:
    before_rotation = mint_v1_token(TokenKeys.parse(OLD), capability())
    rotated = TokenKeys.parse(f"{NEW},{OLD}")

    assert read_token(before_rotation, rotated, NOW).subject == "user123"
    assert mint_v1_token(rotated, capability()).startswith("v1.new.")


def test_a_v1_token_of_a_retired_key_is_refused() -> None:
    token = mint_v1_token(TokenKeys.parse(OLD), capability())

    with pytest.raises(UnauthorizedError):
        read_token(token, TokenKeys.parse(NEW), NOW)


def test_an_expired_v1_token_is_refused() -> None:
    keys = TokenKeys.parse(OLD)
    token = mint_v1_token(keys, capability(expires_at=NOW))

    with pytest.raises(UnauthorizedError, match="expired"):
        read_token(token, keys, NOW)


def test_a_v1_token_with_changed_claims_is_refused() -> None:
    keys = TokenKeys.parse(OLD)
    version, kid, claims, mac = mint_v1_token(keys, capability()).split(".")
    widened = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    widened["scope"] = ["stk", "b2c"]
    forged = base64.urlsafe_b64encode(json.dumps(widened).encode()).rstrip(b"=").decode()

    with pytest.raises(UnauthorizedError):
        read_token(".".join((version, kid, forged, mac)), keys, NOW)


@pytest.mark.parametrize(
    "damage",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.replace("v1.", "v2.", 1),
        lambda token: token.replace(".old.", ".other.", 1),
        lambda token: token + ".extra",
        lambda token: token.rsplit(".", 1)[0] + ".",
        lambda token: "v1.old.é.é",
    ],
)
def test_a_damaged_v1_token_is_refused(damage: object) -> None:
    keys = TokenKeys.parse(OLD)
    token = mint_v1_token(keys, capability())

    with pytest.raises(UnauthorizedError):
        read_token(damage(token), keys, NOW)  # type: ignore[operator]


def test_a_token_grants_only_its_scopes() -> None:
    with pytest.raises(UnauthorizedError, match="b2c"):
        capability().permit_withdrawal("0712345678", 100, NOW)


def test_a_bound_phone_refuses_every_other_phone_in_any_form() -> None:
    bound = capability(scopes=frozenset({STK, B2C}), phone=Phone.parse("254712345678"))

    bound.permit_push("0712345678", NOW)
    bound.permit_withdrawal("+254712345678", 100, NOW)
    with pytest.raises(UnauthorizedError, match="phone"):
        bound.permit_push("0712000001", NOW)
    with pytest.raises(UnauthorizedError, match="phone"):
        bound.permit_withdrawal("0712000001", 100, NOW)


def test_the_maximum_withdrawal_is_a_limit() -> None:
    limited = capability(scopes=frozenset({B2C}), max_withdrawal=500)

    limited.permit_withdrawal("0712345678", 500, NOW)
    with pytest.raises(LimitExceededError):
        limited.permit_withdrawal("0712345678", 501, NOW)


def test_a_socket_whose_token_expired_is_refused_further_requests() -> None:
    with pytest.raises(UnauthorizedError, match="expired"):
        capability().permit_push("0712345678", NOW + timedelta(hours=2))


@pytest.mark.parametrize(
    "text",
    ["", "k1", "k1:short", "k.1:" + "s" * 32, f"{OLD},{OLD}"],
)
def test_bad_key_lists_are_refused_without_showing_the_secret(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        TokenKeys.parse(text)

    assert "s" * 32 not in str(refused.value) and "o" * 32 not in str(refused.value)
