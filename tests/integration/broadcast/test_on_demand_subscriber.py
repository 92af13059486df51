"""The sockets' channels subscriber on Litestar's channels plugin (in-memory backend): every update reaches its
socket once and in order, and a socket waiting for updates holds no task."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from adapters.broadcast.on_demand_subscriber import OnDemandSubscriber

TOPIC = "/mpesa/shop"
WAIT_SECONDS = 10.0


def plugin_of(**options: object) -> ChannelsPlugin:
    return ChannelsPlugin(
        MemoryChannelsBackend(), arbitrary_channels_allowed=True, subscriber_class=OnDemandSubscriber, **options
    )


@pytest.fixture
async def channels() -> AsyncIterator[ChannelsPlugin]:
    async with plugin_of() as plugin:
        yield plugin


class Socket:
    """Records what was sent to it; `slow` holds every send until released, as a client reading slowly would."""

    def __init__(self, slow: bool = False) -> None:
        self.received: list[bytes] = []
        self._released = asyncio.Event()
        self._arrived = asyncio.Condition()
        if not slow:
            self._released.set()

    async def send(self, frame: bytes) -> None:
        await self._released.wait()
        async with self._arrived:
            self.received.append(frame)
            self._arrived.notify_all()

    def release(self) -> None:
        self._released.set()

    async def receives(self, count: int) -> None:
        async def arrived() -> None:
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.received) >= count)

        await asyncio.wait_for(arrived(), WAIT_SECONDS)


def updates(count: int, prefix: str = "u") -> list[bytes]:
    return [f"{prefix}{number}".encode() for number in range(count)]


async def delivered() -> None:
    """Until the plugin has handed every published update to its subscribers (the in-memory backend's two hops)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_updates_reach_the_socket_once_each_and_in_order(channels: ChannelsPlugin) -> None:
    socket = Socket()
    async with channels.start_subscription([TOPIC]) as subscriber, subscriber.run_in_background(socket.send):
        for update in updates(200):
            channels.publish(update, TOPIC)
        await socket.receives(200)
        await asyncio.sleep(0.05)

    assert socket.received == updates(200)


async def test_updates_published_while_a_send_is_slow_wait_their_turn(channels: ChannelsPlugin) -> None:
    socket = Socket(slow=True)
    async with channels.start_subscription([TOPIC]) as subscriber, subscriber.run_in_background(socket.send):
        for update in updates(5):
            channels.publish(update, TOPIC)
        await delivered()
        assert subscriber.qsize == 4  # the first is being sent
        socket.release()
        await socket.receives(5)

    assert socket.received == updates(5)


async def test_sockets_waiting_for_updates_hold_no_task_and_a_sender_ends_when_done(channels: ChannelsPlugin) -> None:
    sockets = [Socket() for _ in range(100)]
    tasks_before = len(asyncio.all_tasks())
    async with AsyncExitStack() as stack:
        for number, socket in enumerate(sockets):
            subscriber = await stack.enter_async_context(channels.start_subscription([f"{TOPIC}/{number}"]))
            await stack.enter_async_context(subscriber.run_in_background(socket.send))
        await asyncio.sleep(0.05)
        assert len(asyncio.all_tasks()) == tasks_before

        channels.publish(b"paid", f"{TOPIC}/7")
        await sockets[7].receives(1)
        await asyncio.sleep(0.05)
        assert len(asyncio.all_tasks()) == tasks_before

    assert [socket.received for socket in sockets] == [[b"paid"] if number == 7 else [] for number in range(100)]


async def test_an_update_that_arrives_before_sending_starts_is_sent_when_it_does(channels: ChannelsPlugin) -> None:
    socket = Socket()
    async with channels.start_subscription([TOPIC]) as subscriber:
        channels.publish(b"early", TOPIC)
        await delivered()
        assert subscriber.qsize == 1
        async with subscriber.run_in_background(socket.send):
            await socket.receives(1)

    assert socket.received == [b"early"]


async def test_a_socket_that_left_hears_nothing_more(channels: ChannelsPlugin) -> None:
    gone, staying = Socket(), Socket()
    async with channels.start_subscription([TOPIC]) as stays, stays.run_in_background(staying.send):
        async with channels.start_subscription([TOPIC]) as leaves, leaves.run_in_background(gone.send):
            channels.publish(b"first", TOPIC)
            await gone.receives(1)
        channels.publish(b"second", TOPIC)
        await staying.receives(2)

    assert gone.received == [b"first"]
    assert staying.received == [b"first", b"second"]


async def test_leaving_with_join_sends_what_waits_first(channels: ChannelsPlugin) -> None:
    socket = Socket(slow=True)
    async with (
        channels.start_subscription([TOPIC]) as subscriber,
        subscriber.run_in_background(socket.send, join=True),
    ):
        for update in updates(3):
            channels.publish(update, TOPIC)
        await delivered()
        asyncio.get_running_loop().call_later(0.05, socket.release)

    assert socket.received == updates(3)


async def test_an_iterating_consumer_reads_every_update_until_it_unsubscribes(channels: ChannelsPlugin) -> None:
    subscriber = await channels.subscribe([TOPIC])
    for update in updates(3):
        channels.publish(update, TOPIC)

    async def read() -> list[bytes]:
        return [event async for event in subscriber.iter_events()]

    reading = asyncio.create_task(read())
    await delivered()
    await channels.unsubscribe(subscriber)

    assert await asyncio.wait_for(reading, WAIT_SECONDS) == updates(3)


@pytest.mark.parametrize(("strategy", "kept"), [("dropleft", [b"u2", b"u3"]), ("backoff", [b"u0", b"u1"])])
async def test_a_full_backlog_keeps_the_newest_or_refuses_the_newest_as_configured(
    strategy: str, kept: list[bytes]
) -> None:
    async with (
        plugin_of(subscriber_max_backlog=2, subscriber_backlog_strategy=strategy) as channels,
        channels.start_subscription([TOPIC]) as subscriber,
    ):
        for update in updates(4):
            channels.publish(update, TOPIC)
        await delivered()
        socket = Socket()
        async with subscriber.run_in_background(socket.send):
            await socket.receives(2)
            await asyncio.sleep(0.05)

    assert socket.received == kept
