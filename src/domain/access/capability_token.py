"""Signed capability tokens (docs/security.md "Client authorisation", SECURITY.md).

A token is a JWT (RFC 7519) signed with HS256 under one of the shared keys, named by `kid` in its header, so any
backend mints it with its own JWT library. Claims: `sub` (the subject), `exp` (required), `scope` (space-separated,
RFC 8693 §4.2), optional `max_withdrawal`, `phone` and `nbf`. The algorithm is pinned: `none`, other HMACs and every
public-key algorithm are refused before any key is looked up.

Deprecated, accepted until V1_ACCEPTED_UNTIL: `v1.<kid>.<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`, whose
MAC covers the exact text `v1.<kid>.<claims>` (base64url is unpadded, so no part contains a dot)."""

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt

from domain.access.capability import SCOPES, Capability, valid_subject
from domain.shared.errors import UnauthorizedError, ValidationError
from domain.shared.phone import Phone

ALGORITHM = "HS256"
# Clocks of the minting backend and the gateway may differ a little: a JWT is honoured until `exp` plus this, and
# from `nbf` minus this. The capability's `expires_at` already includes it, so requests and the socket's close at
# expiry use the same moment as the admission.
LEEWAY = timedelta(seconds=5)
V1_ACCEPTED_UNTIL = date(2027, 6, 30)
V1 = "v1"
MINIMUM_SECRET_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_INVALID = "invalid token"
_MALFORMED = f"{_INVALID}: a claim is malformed (sub, exp, scope, nbf, max_withdrawal or phone)"
# A JWT is three base64url parts (an unsigned one has an empty third, and must still be refused as a token); its
# header is a JSON object, so it starts with `{"`: "eyJ".
_JWT = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class TokenKeys:
    """The active signing keys, each with an id; the first mints, every one verifies (rotation)."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> "TokenKeys":
        """`kid1:secret1,kid2:secret2`; ValueError naming what is wrong, never the secret."""
        keys: list[tuple[str, bytes]] = []
        for entry in (part.strip() for part in text.replace("\n", ",").split(",")):
            if not entry:
                continue
            kid, separator, secret = entry.partition(":")
            if not separator or not _KEY_ID.match(kid):
                raise ValueError("each key must be `id:secret` with an id of 1-32 letters, digits, _ or -")
            if len(secret.encode()) < MINIMUM_SECRET_BYTES:
                raise ValueError(f"key {kid}: the secret must be at least {MINIMUM_SECRET_BYTES} bytes")
            if kid in dict(keys):
                raise ValueError(f"key {kid} is listed twice")
            keys.append((kid, secret.encode()))
        if not keys:
            raise ValueError("no key given")
        return cls(tuple(keys))

    @property
    def current(self) -> tuple[str, bytes]:
        return self.keys[0]

    def secret(self, kid: str) -> bytes | None:
        return dict(self.keys).get(kid)


def looks_like_token(text: str) -> bool:
    return is_v1_token(text) or _JWT.match(text) is not None


def is_v1_token(text: str) -> bool:
    return text.startswith(f"{V1}.") and text.count(".") == 3


def mint_token(keys: TokenKeys, capability: Capability) -> str:
    """A JWT signed with the first key (what `mpesa-gateway token` prints)."""
    kid, secret = keys.current
    return jwt.encode(_claims(capability), secret, algorithm=ALGORITHM, headers={"kid": kid})


def read_token(token: str, keys: TokenKeys, now: datetime) -> Capability:
    """The token's capability if it is signed under one of `keys` and has not expired; else UnauthorizedError."""
    return _read_v1(token, keys, now) if is_v1_token(token) else _read_jwt(token, keys, now)


def _read_jwt(token: str, keys: TokenKeys, now: datetime) -> Capability:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise UnauthorizedError(_INVALID) from None
    if header.get("alg") != ALGORITHM:
        raise UnauthorizedError(f"{_INVALID}: the algorithm must be {ALGORITHM}")
    if "crit" in header:  # no extension is understood, so none may be critical (RFC 7515 §4.1.11)
        raise UnauthorizedError(_INVALID)
    kid = header.get("kid")
    secret = keys.secret(kid) if isinstance(kid, str) else None
    if secret is None:
        raise UnauthorizedError(f"{_INVALID}: unknown key id (kid)")
    try:
        # Times are checked below against the gateway's clock, not PyJWT's; `aud` is refused (none is expected).
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "scope"], "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.MissingRequiredClaimError as missing:
        raise UnauthorizedError(f"{_INVALID}: the {missing.claim} claim is missing") from None
    except jwt.InvalidSignatureError:
        raise UnauthorizedError(f"{_INVALID}: bad signature") from None
    except jwt.InvalidTokenError:
        raise UnauthorizedError(_INVALID) from None
    scopes = claims.get("scope")
    if isinstance(scopes, str):
        claims["scope"] = scopes.split()
    capability = _capability(claims, LEEWAY)
    _require_started(claims.get("nbf"), now)
    capability.require_live(now)
    return capability


def _require_started(not_before: object, now: datetime) -> None:
    if not_before is None:
        return
    try:
        starts_at = datetime.fromtimestamp(not_before, UTC)  # type: ignore[arg-type]
    except (TypeError, OverflowError, OSError, ValueError):
        raise UnauthorizedError(_MALFORMED) from None
    if not _whole(not_before):
        raise UnauthorizedError(_MALFORMED)
    if now + LEEWAY < starts_at:
        raise UnauthorizedError("the token is not valid yet (nbf)")


def mint_v1_token(keys: TokenKeys, capability: Capability) -> str:
    """A deprecated v1 token: only for the tests of the deprecation window; goes with `_read_v1`."""
    claims = _claims(capability)
    claims["scope"] = sorted(capability.scopes)
    kid, secret = keys.current
    signed = f"{V1}.{kid}.{_encode(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{signed}.{_encode(_mac(secret, signed))}"


def _read_v1(token: str, keys: TokenKeys, now: datetime) -> Capability:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != V1:
        raise UnauthorizedError(_INVALID)
    secret = keys.secret(parts[1])
    if secret is None:
        raise UnauthorizedError(_INVALID)
    expected = _encode(_mac(secret, ".".join(parts[:3]))).encode()
    if not hmac.compare_digest(expected, parts[3].encode("utf-8", "replace")):
        raise UnauthorizedError(_INVALID)
    capability = _capability(_v1_claims(parts[2]), timedelta(0))
    capability.require_live(now)
    return capability


def _claims(capability: Capability) -> dict[str, Any]:
    if capability.expires_at is None:
        raise ValueError("a token needs an expiry")
    claims: dict[str, Any] = {
        "sub": capability.subject,
        "exp": int(capability.expires_at.timestamp()),
        "scope": " ".join(sorted(capability.scopes)),
    }
    if capability.max_withdrawal is not None:
        claims["max_withdrawal"] = capability.max_withdrawal
    if capability.phone is not None:
        claims["phone"] = capability.phone.msisdn
    return claims


def _v1_claims(encoded: str) -> dict[str, Any]:
    try:
        claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        raise UnauthorizedError(_INVALID) from None
    if not isinstance(claims, dict):
        raise UnauthorizedError(_INVALID)
    return claims


def _capability(claims: dict[str, Any], leeway: timedelta) -> Capability:
    """The capability the claims grant, honoured until `exp` plus `leeway`; UnauthorizedError when malformed."""
    subject, expiry, scopes = claims.get("sub"), claims.get("exp"), claims.get("scope")
    maximum, phone = claims.get("max_withdrawal"), claims.get("phone")
    well_formed = (
        valid_subject(subject)
        and _whole(expiry)
        and isinstance(scopes, list)
        and bool(scopes)
        and all(isinstance(scope, str) for scope in scopes)
        and set(scopes) <= SCOPES
        and (maximum is None or (_whole(maximum) and maximum > 0))
    )
    if not well_formed:
        raise UnauthorizedError(_MALFORMED)
    try:
        bound = None if phone is None else Phone.parse(phone)
        expires_at = datetime.fromtimestamp(expiry, UTC) + leeway  # type: ignore[arg-type]
    except (ValidationError, OverflowError, OSError, ValueError):
        raise UnauthorizedError(_MALFORMED) from None
    return Capability(
        subject=str(subject),
        scopes=frozenset(scopes),  # type: ignore[arg-type]
        expires_at=expires_at,
        max_withdrawal=maximum,
        phone=bound,
    )


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mac(secret: bytes, text: str) -> bytes:
    return hmac.new(secret, text.encode(), hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
