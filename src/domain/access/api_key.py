"""Server credentials: API keys a merchant's backend sends as `Authorization: Bearer mgw_<key id>_<secret>`.

Only the SHA-256 of the secret is stored: the secret has 256 bits of randomness, so a fast hash is as safe as a slow
one and keeps every request cheap. Several keys may be active at once, so a merchant can rotate without downtime.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.shared.errors import ValidationError

KEY_PREFIX = "mgw"
NAME_LENGTH = 64
# What a key may do beyond the payment and withdrawal routes every key opens: giving money back is granted on
# purpose, to the keys of the systems that decide refunds (docs/reversals.md).
REVERSAL_SCOPE = "reversal"
KEY_SCOPES = (REVERSAL_SCOPE,)
_PRESENTED = re.compile(rf"{KEY_PREFIX}_([0-9a-f]{{16}})_([0-9a-f]{{64}})")


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PresentedKey:
    """A key as a request carries it, split into the id it is looked up by and the secret it is checked with."""

    key_id: str
    secret: str

    @classmethod
    def read(cls, text: str) -> "PresentedKey | None":
        """None for anything that is not shaped like a key this gateway issues."""
        match = _PRESENTED.fullmatch(text.strip())
        return None if match is None else cls(match.group(1), match.group(2))


def key_text(key_id: str, secret: str) -> str:
    """The key as handed to the merchant once, and as it is sent back in every request."""
    return f"{KEY_PREFIX}_{key_id}_{secret}"


def key_scopes(raw: tuple[str, ...] | list[str]) -> frozenset[str]:
    unknown = sorted(set(raw) - set(KEY_SCOPES))
    if unknown:
        raise ValidationError("scopes", f"{', '.join(unknown)}: not a scope; known: {', '.join(KEY_SCOPES)}")
    return frozenset(raw)


def key_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not 1 <= len(name) <= NAME_LENGTH or not name.isprintable():
        raise ValidationError("name", f"must be 1 to {NAME_LENGTH} printable characters")
    return name


@dataclass(slots=True)
class ApiKey:
    key_id: str
    name: str
    secret_sha256: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    version: int = 0
    scopes: frozenset[str] = frozenset()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    def opens_with(self, secret: str) -> bool:
        """True for the key's own secret; compared in constant time."""
        return hmac.compare_digest(secret_digest(secret), self.secret_sha256)

    def revoke(self, now: datetime) -> None:
        """From now on the key opens nothing; revoking it again keeps the first time."""
        if self.revoked_at is None:
            self.revoked_at = now

    def view(self) -> dict[str, Any]:
        """What an operator sees of a key: never its secret, nor its hash."""
        return {
            "id": self.key_id,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "last_used_at": None if self.last_used_at is None else self.last_used_at.isoformat(),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
            "scopes": sorted(self.scopes),
        }


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    """A new key and its full text, which exists only here: shown once, never stored."""

    key: ApiKey
    text: str
