from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """Who holds a key: the resource it was claimed for, the request that claimed it, when, and whether by this call."""

    resource_id: str
    fingerprint: str
    claimed_at: datetime
    new: bool


class IdempotencyKeys(Protocol):
    """Clients' idempotency keys, each held by one resource for IDEMPOTENCY_WINDOW (domain.idempotency)."""

    @abstractmethod
    async def claim(
        self, scope: str, hash_: str, key: str, fingerprint: str, resource_id: str, now: datetime
    ) -> IdempotencyClaim:
        """Claim (scope, hash, key) for `resource_id` until `now` + IDEMPOTENCY_WINDOW, unless it is held already.

        Atomic: of any number of concurrent claims, in one process or several, exactly one is `new`; the others
        get the winner's claim. A claim past its expiry counts as absent and is taken over, again by one winner.
        """

    @abstractmethod
    async def release(self, scope: str, hash_: str, key: str, resource_id: str) -> None:
        """Give the key up if `resource_id` still holds it: its request stopped before storing anything."""
