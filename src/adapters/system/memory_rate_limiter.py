import math
from datetime import UTC, datetime, timedelta

from domain.shared.ports import RateLimiter


class MemoryRateLimiter(RateLimiter):
    """Fixed windows counted in this process only: one instance's view, for a single instance (no REDIS_URL) or
    while Redis is unreachable. Memory holds only the current window of each window length."""

    def __init__(self) -> None:
        self._counts: dict[tuple[float, int, str], int] = {}
        self._current: dict[float, int] = {}

    async def try_acquire(self, key: str, limit: int, window: timedelta, now: datetime) -> timedelta | None:
        length = window.total_seconds()
        index = math.floor(now.timestamp() / length)
        if self._current.get(length, index) < index:
            self._counts = {counted: n for counted, n in self._counts.items() if counted[0] != length}
        self._current[length] = max(index, self._current.get(length, index))
        counted = (length, index, key)
        self._counts[counted] = self._counts.get(counted, 0) + 1
        if self._counts[counted] <= limit:
            return None
        return datetime.fromtimestamp((index + 1) * length, UTC) - now

    async def give_back(self, key: str, window: timedelta, now: datetime) -> None:
        length = window.total_seconds()
        counted = (length, math.floor(now.timestamp() / length), key)
        if self._counts.get(counted, 0) > 0:
            self._counts[counted] -= 1

    async def forget(self, key_prefix: str) -> None:
        self._counts = {counted: n for counted, n in self._counts.items() if not counted[2].startswith(key_prefix)}
