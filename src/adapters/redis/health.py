from redis.asyncio import Redis

from domain.shared.ports import StoreHealth


class RedisHealth(StoreHealth):
    """Pings Redis for /ready; the client's own time-outs bound the answer."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def check(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:  # whatever stops an answer, a readiness probe only needs "down"
            return False
