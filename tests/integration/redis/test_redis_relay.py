"""Updates across instances through a real redis-server: each instance's subscribers hear every update once, and
losing Redis delays only what crosses instances."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.channels import ChannelsPlugin
from redis.asyncio import Redis

from adapters.broadcast.on_demand_subscriber import OnDemandSubscriber
from adapters.broadcast.relayed_backend import RelayedChannelsBackend
from adapters.broadcast.resumable_stream_backend import ResumableRedisStreamBackend
from adapters.redis.client import create_redis_client
from adapters.redis.outage import RedisOutage
from tests.support.redis_server import RedisServer, redis_server

TOPIC = "/mpesa/relayed"
WAIT_SECONDS = 10.0


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path) as server:
        yield server


@pytest.fixture
async def connect(redis: RedisServer) -> AsyncIterator[Callable[[], Redis]]:
    """New clients of the test's Redis, one per simulated instance, closed at teardown."""
    clients: list[Redis] = []

    def client() -> Redis:
        created = create_redis_client(redis.url, timeout_seconds=0.5)
        assert created is not None
        clients.append(created)
        return created

    yield client
    for created in clients:
        await created.aclose()


class Listener:
    """A subscriber's callback that records what it heard, and waits a bounded time for an update."""

    def __init__(self) -> None:
        self.heard: list[bytes] = []
        self._arrived = asyncio.Condition()

    async def __call__(self, data: bytes) -> None:
        async with self._arrived:
            self.heard.append(data)
            self._arrived.notify_all()

    async def hears(self, data: bytes) -> None:
        async def arrived() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: data in self.heard)

        await asyncio.wait_for(arrived(), WAIT_SECONDS)


def stream_backend(redis: Redis, prefix: str, **options: object) -> ResumableRedisStreamBackend:
    return ResumableRedisStreamBackend(
        100, redis=redis, key_prefix=prefix, stream_ttl=timedelta(minutes=5), block_seconds=0.05, **options
    )


@asynccontextmanager
async def instances(connect: Callable[[], Redis], count: int = 2) -> AsyncIterator[list[ChannelsPlugin]]:
    """`count` gateways' channels plugins over one Redis, as `serve` builds them (a quick back-off for the test)."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    async with AsyncExitStack() as stack:
        plugins = []
        for number in range(count):
            backend = RelayedChannelsBackend(
                stream_backend(connect(), prefix), f"instance-{number}", RedisOutage(max_retry_seconds=0.3)
            )
            plugin = ChannelsPlugin(backend, arbitrary_channels_allowed=True, subscriber_class=OnDemandSubscriber)
            plugins.append(await stack.enter_async_context(plugin))
        yield plugins


@asynccontextmanager
async def listening(plugin: ChannelsPlugin, topic: str = TOPIC) -> AsyncIterator[Listener]:
    listener = Listener()
    async with plugin.start_subscription([topic]) as subscriber, subscriber.run_in_background(listener):
        yield listener


async def test_an_update_reaches_the_subscribers_of_every_instance_once(connect: Callable[[], Redis]) -> None:
    async with (
        instances(connect) as (a, b),
        listening(a) as on_a,
        listening(b) as on_b,
        listening(b, "/mpesa/other") as elsewhere,
    ):
        a.publish(b'{"n": 1}', TOPIC)
        await on_b.hears(b'{"n": 1}')
        b.publish(b'{"n": 2}', TOPIC)
        await on_a.hears(b'{"n": 2}')

    assert on_a.heard == [b'{"n": 1}', b'{"n": 2}']
    assert on_b.heard == [b'{"n": 1}', b'{"n": 2}']
    assert elsewhere.heard == []


async def test_without_redis_local_subscribers_still_hear_and_the_relay_catches_up_when_it_returns(
    redis: RedisServer, connect: Callable[[], Redis]
) -> None:
    async with instances(connect) as (a, b), listening(a) as on_a, listening(b) as on_b:
        a.publish(b'{"before": true}', TOPIC)
        await on_b.hears(b'{"before": true}')
        redis.stop()

        a.publish(b'{"during": true}', TOPIC)
        await on_a.hears(b'{"during": true}')
        redis.start()
        await on_b.hears(b'{"during": true}')
        b.publish(b'{"after": true}', TOPIC)
        await on_a.hears(b'{"after": true}')

    assert on_b.heard == [b'{"before": true}', b'{"during": true}', b'{"after": true}']
    assert on_a.heard == [b'{"before": true}', b'{"during": true}', b'{"after": true}']


async def test_a_stream_subscribed_to_is_read_from_then_on_not_from_its_history(
    connect: Callable[[], Redis],
) -> None:
    prefix, redis = f"test-{uuid.uuid4().hex[:8]}", connect()
    writer = stream_backend(redis, prefix)
    await writer.publish(b"old", [TOPIC])
    newest_entry_ms = int((await redis.xrevrange(f"{prefix}_{TOPIC.upper()}", count=1))[0][0].split(b"-")[0])
    reader = stream_backend(connect(), prefix, lookback_seconds=0, clock=after(newest_entry_ms))

    await reader.subscribe([TOPIC])
    await writer.publish(b"new", [TOPIC])
    events = await reader.read()

    assert events == [(TOPIC, b"new")]
    assert await reader.get_history(TOPIC) == [b"old", b"new"]


def after(entry_ms: int) -> Callable[[], float]:
    """A clock reading the millisecond a stream entry was added (as if Redis's clock and ours agreed)."""
    return lambda: (entry_ms + 0.5) / 1000


async def test_the_history_of_a_topic_is_bounded(connect: Callable[[], Redis]) -> None:
    prefix, redis_client = f"test-{uuid.uuid4().hex[:8]}", connect()
    backend = ResumableRedisStreamBackend(
        3,
        redis=redis_client,
        key_prefix=prefix,
        stream_ttl=timedelta(minutes=5),
        block_seconds=0.05,
        cap_streams_approximate=False,
    )

    for number in range(10):
        await backend.publish(str(number).encode(), [TOPIC])

    assert await backend.get_history(TOPIC) == [b"7", b"8", b"9"]
    assert 0 < await redis_client.pttl(f"{prefix}_{TOPIC.upper()}") <= 5 * 60 * 1000


async def test_topics_differing_only_in_case_stay_apart(connect: Callable[[], Redis]) -> None:
    async with (
        instances(connect) as (a, b),
        listening(b, "/mpesa/shop") as lower,
        listening(b, "/mpesa/SHOP") as upper,
    ):
        a.publish(b'{"to": "upper"}', "/mpesa/SHOP")
        a.publish(b'{"to": "lower"}', "/mpesa/shop")
        await lower.hears(b'{"to": "lower"}')
        await upper.hears(b'{"to": "upper"}')

    assert lower.heard == [b'{"to": "lower"}']
    assert upper.heard == [b'{"to": "upper"}']


async def test_leaving_one_spelling_of_a_topic_keeps_the_others_place_in_their_shared_stream(
    connect: Callable[[], Redis],
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    writer, reader = stream_backend(connect(), prefix), stream_backend(connect(), prefix)
    await reader.subscribe(["/mpesa/shop", "/mpesa/SHOP"])
    await writer.publish(b"1", ["/mpesa/shop"])
    first = await reader.read()

    await reader.unsubscribe(["/mpesa/SHOP"])
    await writer.publish(b"2", ["/mpesa/shop"])
    second = await reader.read()

    assert (first, second) == ([("/mpesa/shop", b"1")], [("/mpesa/shop", b"2")])


async def test_a_dropped_connection_neither_loses_nor_replays_updates(connect: Callable[[], Redis]) -> None:
    async with instances(connect) as (a, b), listening(b) as on_b:
        a.publish(b'{"n": 1}', TOPIC)
        await on_b.hears(b'{"n": 1}')

        await connect().client_kill_filter(_type="normal", skipme=True)
        a.publish(b'{"n": 2}', TOPIC)
        await on_b.hears(b'{"n": 2}')

    assert on_b.heard == [b'{"n": 1}', b'{"n": 2}']
