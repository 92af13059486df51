"""Limits on sockets and their messages: open sockets in all, per topic (one subject on one endpoint: the settings'
"per hash") and per client address (counted in this process), and messages per topic and per address (counted by a
RateLimiter: in Redis, across instances, when REDIS_URL is set; in this process otherwise)."""

import math
from datetime import timedelta

from domain.shared.errors import RateLimitedError
from domain.shared.ports import Clock, RateLimiter

CLOSE_TRY_AGAIN_LATER = 1013
RATE_LIMITED_REASON = "RATE_LIMITED"
# What a refused socket is told to wait: sockets free up as others close, at no predictable moment.
SOCKET_RETRY_AFTER_SECONDS = 5


class SocketGuard:
    def __init__(
        self,
        *,
        max_sockets: int,
        max_per_topic: int,
        max_per_address: int,
        messages_per_topic: int,
        messages_per_address: int,
        window_seconds: float,
        counter: RateLimiter,
        clock: Clock,
    ) -> None:
        self._max_sockets, self._max_per_topic, self._max_per_address = max_sockets, max_per_topic, max_per_address
        self._message_limits = (
            ("hash", messages_per_topic, "too many messages on this hash"),  # the counter keys stay ws:hash:…
            ("address", messages_per_address, "too many messages from this address"),
        )
        self._window, self._counter, self._clock = timedelta(seconds=window_seconds), counter, clock
        self._open = 0
        self._open_per_topic: dict[str, int] = {}
        self._open_per_address: dict[str, int] = {}

    def open(self, topic: str, address: str) -> None:
        """Count a new socket, or raise RateLimitedError when it would pass a cap (nothing is counted then)."""
        if self._open >= self._max_sockets:
            raise RateLimitedError("too many open sockets", SOCKET_RETRY_AFTER_SECONDS)
        if self._open_per_topic.get(topic, 0) >= self._max_per_topic:
            raise RateLimitedError("too many open sockets on this hash", SOCKET_RETRY_AFTER_SECONDS)
        if self._open_per_address.get(address, 0) >= self._max_per_address:
            raise RateLimitedError("too many open sockets from this address", SOCKET_RETRY_AFTER_SECONDS)
        self._open += 1
        self._open_per_topic[topic] = self._open_per_topic.get(topic, 0) + 1
        self._open_per_address[address] = self._open_per_address.get(address, 0) + 1

    def close(self, topic: str, address: str) -> None:
        self._open -= 1
        for counts, key in ((self._open_per_topic, topic), (self._open_per_address, address)):
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]

    async def message(self, topic: str, address: str) -> None:
        """Count one message in the current fixed window, or raise RateLimitedError past a limit."""
        now = self._clock.now()
        for (kind, limit, refusal), key in zip(self._message_limits, (topic, address), strict=True):
            left = await self._counter.try_acquire(f"ws:{kind}:{key}", limit, self._window, now)
            if left is not None:
                raise RateLimitedError(refusal, max(1, math.ceil(left.total_seconds())))
