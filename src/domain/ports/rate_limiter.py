from abc import abstractmethod
from datetime import datetime, timedelta
from typing import Protocol


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
