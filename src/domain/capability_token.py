"""Signed capability tokens: `v1.<kid>.<base64url(JSON claims)>.<base64url(HMAC-SHA256)>` (SECURITY.md).

The MAC covers the exact text `v1.<kid>.<claims>`; base64url is unpadded, so no part contains a dot."""

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.capability import SCOPES, Capability, valid_subject
from domain.errors import UnauthorizedError, ValidationError
from domain.phone import Phone

VERSION = "v1"
MINIMUM_SECRET_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_INVALID = "invalid token"


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
    return text.startswith(f"{VERSION}.") and text.count(".") == 3


def mint_token(keys: TokenKeys, capability: Capability) -> str:
    if capability.expires_at is None:
        raise ValueError("a token needs an expiry")
    claims: dict[str, object] = {
        "sub": capability.subject,
        "exp": int(capability.expires_at.timestamp()),
        "scope": sorted(capability.scopes),
    }
    if capability.max_withdrawal is not None:
        claims["max_withdrawal"] = capability.max_withdrawal
    if capability.phone is not None:
        claims["phone"] = capability.phone.msisdn
    kid, secret = keys.current
    signed = f"{VERSION}.{kid}.{_encode(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{signed}.{_encode(_mac(secret, signed))}"


def read_token(token: str, keys: TokenKeys, now: datetime) -> Capability:
    """The token's capability if its MAC is right under one of `keys` and it has not expired; else UnauthorizedError."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        raise UnauthorizedError(_INVALID)
    secret = keys.secret(parts[1])
    if secret is None:
        raise UnauthorizedError(_INVALID)
    expected = _encode(_mac(secret, ".".join(parts[:3]))).encode()
    if not hmac.compare_digest(expected, parts[3].encode("utf-8", "replace")):
        raise UnauthorizedError(_INVALID)
    capability = _capability(parts[2])
    capability.require_live(now)
    return capability


def _capability(encoded: str) -> Capability:
    try:
        claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        raise UnauthorizedError(_INVALID) from None
    if not isinstance(claims, dict):
        raise UnauthorizedError(_INVALID)
    subject, expiry, scopes = claims.get("sub"), claims.get("exp"), claims.get("scope")
    maximum, phone = claims.get("max_withdrawal"), claims.get("phone")
    well_formed = (
        valid_subject(subject)
        and _whole(expiry)
        and isinstance(scopes, list)
        and bool(scopes)
        and set(scopes) <= SCOPES
        and (maximum is None or (_whole(maximum) and maximum > 0))
    )
    if not well_formed:
        raise UnauthorizedError(_INVALID)
    try:
        bound = None if phone is None else Phone.parse(phone)
        expires_at = datetime.fromtimestamp(expiry, UTC)  # type: ignore[arg-type]
    except (ValidationError, OverflowError, OSError, ValueError):
        raise UnauthorizedError(_INVALID) from None
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
