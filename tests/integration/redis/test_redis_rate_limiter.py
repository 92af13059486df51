"""Socket message limits counted in a real redis-server: shared by instances, atomic, and counted in each process
while Redis is away."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from adapters.redis.client import create_redis_client
from adapters.redis.health import RedisHealth
from adapters.redis.outage import RedisOutage
from adapters.redis.rate_limiter import RedisRateLimiter
from adapters.system.memory_rate_limiter import MemoryRateLimiter
from tests.support.redis_server import RedisServer, redis_server

WINDOW = timedelta(hours=1)


@pytest.fixture
def now() -> datetime:
    """The middle of an hour-long window that ends at least ten minutes from now, taken when the test starts.

    Redis expires each count at its window's real end: a window that ended while the suite ran (one taken at
    import, say) would be gone before the test reads it.
    """
    return (datetime.now(UTC) + timedelta(minutes=10)).replace(minute=30, second=0, microsecond=0)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path) as server:
        yield server


@pytest.fixture
async def clients(redis: RedisServer) -> AsyncIterator[list[Redis]]:
    """Two clients, as two gateway instances have."""
    created = [create_redis_client(redis.url, timeout_seconds=0.5) for _ in range(2)]
    yield [client for client in created if client is not None]
    for client in created:
        assert client is not None
        await client.aclose()


def limiter(client: Redis, retry_seconds: float = 0.1) -> RedisRateLimiter:
    outage = RedisOutage(first_retry_seconds=retry_seconds, max_retry_seconds=retry_seconds)
    return RedisRateLimiter(client, "test", MemoryRateLimiter(), outage)


async def test_two_instances_share_one_count(clients: list[Redis], now: datetime) -> None:
    a, b = limiter(clients[0]), limiter(clients[1])
    key = f"ws:hash:{uuid.uuid4().hex}"

    answers = [await instance.try_acquire(key, 3, WINDOW, now) for instance in (a, b, a, b)]

    assert answers[:3] == [None, None, None]
    assert answers[3] == timedelta(minutes=30)


async def test_of_many_uses_at_once_across_instances_only_the_limit_pass(clients: list[Redis], now: datetime) -> None:
    a, b = limiter(clients[0]), limiter(clients[1])
    key = f"ws:address:{uuid.uuid4().hex}"

    answers = await asyncio.gather(*(instance.try_acquire(key, 5, WINDOW, now) for instance in [a, b] * 20))

    assert sum(answer is None for answer in answers) == 5


async def test_a_count_ends_with_its_window(clients: list[Redis], now: datetime) -> None:
    key = f"ws:hash:{uuid.uuid4().hex}"

    await limiter(clients[0]).try_acquire(key, 3, WINDOW, now)

    (name,) = await clients[0].keys(f"test:rate:{key}:*")
    expires_at_ms = await clients[0].pexpiretime(name)
    assert expires_at_ms == int((now + timedelta(minutes=30)).timestamp() * 1000)


async def test_while_redis_is_away_each_instance_counts_on_its_own_and_shares_again_after(
    redis: RedisServer, clients: list[Redis], now: datetime
) -> None:
    a, b = limiter(clients[0]), limiter(clients[1])
    key = f"ws:hash:{uuid.uuid4().hex}"
    redis.stop()

    during = [await instance.try_acquire(key, 1, WINDOW, now) for instance in (a, a, b)]
    redis.start()
    after = await retry_until_shared(a, b, key, now)

    assert during[0] is None
    assert during[1] is not None
    assert during[2] is None
    assert after is not None


async def retry_until_shared(a: RedisRateLimiter, b: RedisRateLimiter, key: str, now: datetime) -> timedelta | None:
    """Once Redis answers again (bounded by its back-off), a count made on `a` is seen by `b`."""
    for _ in range(100):
        fresh = f"{key}:{uuid.uuid4().hex[:6]}"
        await a.try_acquire(fresh, 1, WINDOW, now)
        answer = await b.try_acquire(fresh, 1, WINDOW, now)
        if answer is not None:
            return answer
        await asyncio.sleep(0.05)
    return None


async def test_readiness_says_whether_redis_answers(redis: RedisServer, clients: list[Redis]) -> None:
    health = RedisHealth(clients[0])

    up = await health.check()
    redis.stop()
    down = await health.check()

    assert (up, down) == (True, False)


async def test_a_use_given_back_frees_its_place_for_every_instance_and_never_goes_below_zero(
    clients: list[Redis], now: datetime
) -> None:
    a, b = limiter(clients[0]), limiter(clients[1])
    key = f"stk-phone:{uuid.uuid4().hex}"
    never_counted = f"stk-phone:{uuid.uuid4().hex}"

    assert await a.try_acquire(key, 1, WINDOW, now) is None
    assert await b.try_acquire(key, 1, WINDOW, now) is not None
    await b.give_back(key, WINDOW, now)  # the refused use
    await a.give_back(key, WINDOW, now)  # the one that did not happen after all
    await a.give_back(key, WINDOW, now)  # one too many: stays at zero
    await a.give_back(never_counted, WINDOW, now)

    assert await b.try_acquire(key, 1, WINDOW, now) is None
    assert await a.try_acquire(key, 1, WINDOW, now) is not None
    assert await clients[0].keys(f"test:rate:{never_counted}:*") == []  # no counter without an expiry
