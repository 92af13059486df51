import time
from collections.abc import AsyncGenerator, Callable, Iterable
from datetime import timedelta

from litestar.channels.backends.redis import RedisChannelsStreamBackend
from redis.asyncio import Redis

# A stream subscribed to now is read from this far back (Redis's clock may trail ours): an update may then come
# twice (each socket drops the second: it is no newer than the first), never not at all.
LOOKBACK_SECONDS = 2.0


class ResumableRedisStreamBackend(RedisChannelsStreamBackend):
    """Litestar's Redis streams backend (XADD capped at `history` entries, a TTL per stream), read so that a lost
    connection loses nothing: the position in each stream is kept across failed reads, and a stream newly
    subscribed to is read from the moment of subscription, not from its oldest entry (which would replay its
    whole history to every new socket)."""

    def __init__(
        self,
        history: int,
        *,
        redis: Redis,
        key_prefix: str,
        stream_ttl: timedelta,
        block_seconds: float,
        lookback_seconds: float = LOOKBACK_SECONDS,
        cap_streams_approximate: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            history,
            redis=redis,
            key_prefix=key_prefix,
            stream_ttl=stream_ttl,
            stream_sleep_no_subscriptions=max(1, int(block_seconds * 1000)),
            cap_streams_approximate=cap_streams_approximate,
        )
        self._block_ms = max(1, int(block_seconds * 1000))
        self._lookback_ms, self._clock = int(lookback_seconds * 1000), clock
        self._positions: dict[str, str] = {}

    async def subscribe(self, channels: Iterable[str]) -> None:
        channels = list(channels)
        start = f"{max(0, int(self._clock() * 1000) - self._lookback_ms)}-0"
        for channel in channels:
            self._positions.setdefault(self._make_key(channel), start)
        await super().subscribe(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        channels = list(channels)
        await super().unsubscribe(channels)
        # Litestar's keys are upper-cased: `/mpesa/a` and `/mpesa/A` share a stream, and its position.
        still_read = {self._make_key(channel) for channel in self._subscribed_channels}
        for channel in channels:
            if self._make_key(channel) not in still_read:
                self._positions.pop(self._make_key(channel), None)

    async def read(self) -> list[tuple[str, bytes]]:
        """The entries added to the subscribed streams since the last read, waiting up to the block time for one;
        Redis errors are raised, and the next read starts where this one would have."""
        channels = await self._get_subscribed_channels()
        streams = {key: self._positions.get(key, "$") for key in {self._make_key(channel) for channel in channels}}
        answer = await self._redis.xread(streams, block=self._block_ms)  # type: ignore[arg-type]
        events: list[tuple[str, bytes]] = []
        for stream_key, entries in answer or []:
            key = stream_key.decode()
            for entry_id, fields in entries:
                if key in self._positions:  # not unsubscribed while the read waited
                    self._positions[key] = entry_id.decode()
                events.append((fields[b"channel"].decode(), fields[b"data"]))
        return events

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        while True:
            for event in await self.read():
                yield event
