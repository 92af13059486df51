"""The outside world every capability may ask of: time, identifiers, randomness, leases, limits, health."""

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    @abstractmethod
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class Identifiers(Protocol):
    @abstractmethod
    def new_id(self) -> str:
        """A new, unique payment id that may be shown to clients."""

    @abstractmethod
    def new_secret(self) -> str:
        """A new unguessable, URL-safe token that is never shown to clients."""


class KeyMaterial(Protocol):
    """Randomness for API keys, injected so tests are deterministic."""

    @abstractmethod
    def new_key_id(self) -> str:
        """16 lowercase hex digits: how a key is named in lists and logs."""

    @abstractmethod
    def new_key_secret(self) -> str:
        """64 lowercase hex digits (256 random bits): the part of a key only its holder knows."""


class RandomSource(Protocol):
    """Randomness for jitter, injected so tests are deterministic; `random.Random()` is one."""

    @abstractmethod
    def uniform(self, a: float, b: float) -> float:
        """A random number between `a` and `b`."""


class Leases(Protocol):
    """Named, expiring claims shared by every instance: at most one holder of a name at a time."""

    @abstractmethod
    async def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take `name` (or extend it, when `owner` holds it already) until `until`; False when another holds it."""

    @abstractmethod
    async def release(self, name: str, owner: str) -> None:
        """Give `name` up if `owner` holds it."""


class RateLimiter(Protocol):
    """Counts uses of a key in fixed windows, shared by every process that counts the same key."""

    @abstractmethod
    async def try_acquire(self, key: str, limit: int, window: timedelta, now: datetime) -> timedelta | None:
        """Count one use of `key` in the window holding `now`: None if it is within `limit`, else the time left
        until the window ends. Atomic: of concurrent calls, at most `limit` per window get None."""

    @abstractmethod
    async def give_back(self, key: str, window: timedelta, now: datetime) -> None:
        """Uncount one use of `key` in the window holding `now` (a use counted by `try_acquire` that did not
        happen after all); never below zero."""

    @abstractmethod
    async def forget(self, key_prefix: str) -> None:
        """Forget every count of every key starting with `key_prefix`, in every window: they count from zero."""


class StoreHealth(Protocol):
    @abstractmethod
    async def check(self) -> bool:
        """True when the store answers within a short time; False otherwise, never an exception."""


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """Who holds a key: the resource it was claimed for, the request that claimed it, when, and whether by this call."""

    resource_id: str
    fingerprint: str
    claimed_at: datetime
    new: bool


class IdempotencyKeys(Protocol):
    """Clients' idempotency keys, each held by one resource for IDEMPOTENCY_WINDOW (domain.shared.idempotency)."""

    @abstractmethod
    async def claim(
        self, scope: str, subject: str, key: str, fingerprint: str, resource_id: str, now: datetime
    ) -> IdempotencyClaim:
        """Claim (scope, subject, key) for `resource_id` until `now` + IDEMPOTENCY_WINDOW, unless it is held already.

        Atomic: of any number of concurrent claims, in one process or several, exactly one is `new`; the others
        get the winner's claim. A claim past its expiry counts as absent and is taken over, again by one winner.
        """

    @abstractmethod
    async def release(self, scope: str, subject: str, key: str, resource_id: str) -> None:
        """Give the key up if `resource_id` still holds it: its request stopped before storing anything."""
