from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.redis.outage import RedisOutage
from domain.shared.ports import RateLimiter

# One step down, never below zero, and never creating a counter (which would then have no expiry).
_GIVE_BACK = (
    "local n = redis.call('GET', KEYS[1]) if n and tonumber(n) > 0 then return redis.call('DECR', KEYS[1]) end return 0"
)


class RedisRateLimiter(RateLimiter):
    """Fixed windows counted in Redis, so every instance counts the same key in the same place: INCR and PEXPIREAT
    in one MULTI transaction, so a counter never outlives its window. While Redis is unreachable, `fallback`
    counts in this process instead (each instance then allows the limit on its own)."""

    def __init__(self, redis: Redis, key_prefix: str, fallback: RateLimiter, outage: RedisOutage) -> None:
        self._redis, self._prefix, self._fallback, self._outage = redis, key_prefix, fallback, outage

    async def try_acquire(self, key: str, limit: int, window: timedelta, now: datetime) -> timedelta | None:
        if not self._outage.should_try():
            return await self._fallback.try_acquire(key, limit, window, now)
        name, ends = self._window_of(key, window, now)
        try:
            async with self._redis.pipeline(transaction=True) as pipeline:
                pipeline.incr(name)
                pipeline.pexpireat(name, ends)
                count, _ = await pipeline.execute()
        except (RedisError, OSError) as error:
            self._outage.failed(error)
            return await self._fallback.try_acquire(key, limit, window, now)
        self._outage.recovered()
        return None if int(count) <= limit else ends - now

    async def give_back(self, key: str, window: timedelta, now: datetime) -> None:
        if not self._outage.should_try():
            await self._fallback.give_back(key, window, now)
            return
        name, _ = self._window_of(key, window, now)
        try:
            await self._redis.eval(_GIVE_BACK, 1, name)  # type: ignore[misc]  # redis-py types sync and async alike
        except (RedisError, OSError) as error:
            self._outage.failed(error)
            await self._fallback.give_back(key, window, now)
            return
        self._outage.recovered()

    def _window_of(self, key: str, window: timedelta, now: datetime) -> tuple[str, datetime]:
        length = window.total_seconds()
        index = int(now.timestamp() // length)
        return f"{self._prefix}:rate:{key}:{index}", datetime.fromtimestamp((index + 1) * length, UTC)

    async def forget(self, key_prefix: str) -> None:
        await self._fallback.forget(key_prefix)
        try:
            names = [name async for name in self._redis.scan_iter(match=f"{self._prefix}:rate:{key_prefix}*")]
            if names:
                await self._redis.delete(*names)
        except (RedisError, OSError) as error:
            self._outage.failed(error)
            raise
