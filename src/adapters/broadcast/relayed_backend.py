import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, Iterable

import structlog
from litestar.channels.backends.base import ChannelsBackend
from redis.exceptions import RedisError

from adapters.broadcast.resumable_stream_backend import ResumableRedisStreamBackend
from adapters.redis.outage import RedisOutage

logger = structlog.get_logger()

# Updates waiting for Redis to come back, per process; past this the oldest are dropped (every socket catches up
# from MongoDB when Redis is back, and on reconnect; `status` reads any payment).
RELAY_BACKLOG = 10_000
# How long a stopping instance tries to hand its last updates to Redis.
_FLUSH_SECONDS = 2.0
_SEPARATOR = b"\n"  # never inside an update: msgspec writes JSON on one line


class RelayedChannelsBackend(ChannelsBackend):
    """A channels backend for several instances: every update reaches this instance's subscribers at once, straight
    from `publish`, and is relayed through Redis streams to the other instances, tagged with this instance's id so
    that each skips its own. Losing Redis then delays only what crosses instances: the relay keeps the updates in
    order, waits with a bounded back-off and resumes by itself, and the reader goes on where it stopped."""

    def __init__(
        self, relay: ResumableRedisStreamBackend, instance: str, outage: RedisOutage, backlog: int = RELAY_BACKLOG
    ) -> None:
        if _SEPARATOR in instance.encode():
            raise ValueError("an instance id is one line")
        self._relay, self._origin, self._outage = relay, instance.encode(), outage
        self._inbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._outbox: deque[tuple[bytes, list[str]]] = deque(maxlen=backlog)
        self._outbox_ready, self._outbox_empty = asyncio.Event(), asyncio.Event()
        self._outbox_empty.set()
        self._tasks: list[asyncio.Task[None]] = []

    async def on_startup(self) -> None:
        self._tasks = [asyncio.create_task(self._relay_out()), asyncio.create_task(self._relay_in())]
        for task in self._tasks:
            task.add_done_callback(_report_stopped)

    async def on_shutdown(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox_empty.wait(), _FLUSH_SECONDS)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._outbox:
            logger.warning("broadcast_relay_unsent", updates=len(self._outbox))

    async def subscribe(self, channels: Iterable[str]) -> None:
        await self._relay.subscribe(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        await self._relay.unsubscribe(channels)

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        channels = list(channels)
        for channel in channels:
            self._inbox.put_nowait((channel, data))
        if len(self._outbox) == self._outbox.maxlen:
            logger.warning("broadcast_relay_backlog_full", dropped=1)
        self._outbox.append((data, channels))
        self._outbox_empty.clear()
        self._outbox_ready.set()

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        while True:
            yield await self._inbox.get()

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        return [tagged.partition(_SEPARATOR)[2] for tagged in await self._relay.get_history(channel, limit)]

    async def _relay_out(self) -> None:
        while True:
            await self._outbox_ready.wait()
            while self._outbox:
                update = self._outbox[0]
                data, channels = update
                try:
                    await self._relay.publish(self._origin + _SEPARATOR + data, channels)
                except (RedisError, OSError) as error:
                    await asyncio.sleep(self._outage.failed(error))
                    continue
                self._outage.recovered()
                if self._outbox and self._outbox[0] is update:  # not pushed out of a full backlog meanwhile
                    self._outbox.popleft()
            self._outbox_ready.clear()
            self._outbox_empty.set()

    async def _relay_in(self) -> None:
        while True:
            try:
                events = await self._relay.read()
            except (RedisError, OSError) as error:
                await asyncio.sleep(self._outage.failed(error))
                continue
            self._outage.recovered()
            for channel, tagged in events:
                origin, _, data = tagged.partition(_SEPARATOR)
                if origin != self._origin:
                    self._inbox.put_nowait((channel, data))


def _report_stopped(task: "asyncio.Task[None]") -> None:
    """Redis errors are waited out inside the loops; anything else ending one must not pass unnoticed."""
    if not task.cancelled() and task.exception() is not None:
        logger.error("broadcast_relay_stopped", exc_info=task.exception())
