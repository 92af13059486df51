"""Limits on sockets and their messages, counted in this process (sharing them across instances is the scale-out
issue's job): open sockets in all, per hash and per client address, and messages per hash and per address."""

import math
import time
from collections import Counter
from collections.abc import Callable

from domain.errors import RateLimitedError

CLOSE_TRY_AGAIN_LATER = 1013
RATE_LIMITED_REASON = "RATE_LIMITED"
# What a refused socket is told to wait: sockets free up as others close, at no predictable moment.
SOCKET_RETRY_AFTER_SECONDS = 5


class SocketGuard:
    def __init__(
        self,
        *,
        max_sockets: int,
        max_per_hash: int,
        max_per_address: int,
        messages_per_hash: int,
        messages_per_address: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_sockets, self._max_per_hash, self._max_per_address = max_sockets, max_per_hash, max_per_address
        self._messages_per_hash, self._messages_per_address = messages_per_hash, messages_per_address
        self._window, self._clock = window_seconds, clock
        self._open = 0
        self._open_per_hash: Counter[str] = Counter()
        self._open_per_address: Counter[str] = Counter()
        self._window_index = -1
        self._messages: Counter[str] = Counter()

    def open(self, hash_key: str, address: str) -> None:
        """Count a new socket, or raise RateLimitedError when it would pass a cap (nothing is counted then)."""
        if self._open >= self._max_sockets:
            raise RateLimitedError("too many open sockets", SOCKET_RETRY_AFTER_SECONDS)
        if self._open_per_hash[hash_key] >= self._max_per_hash:
            raise RateLimitedError("too many open sockets on this hash", SOCKET_RETRY_AFTER_SECONDS)
        if self._open_per_address[address] >= self._max_per_address:
            raise RateLimitedError("too many open sockets from this address", SOCKET_RETRY_AFTER_SECONDS)
        self._open += 1
        self._open_per_hash[hash_key] += 1
        self._open_per_address[address] += 1

    def close(self, hash_key: str, address: str) -> None:
        self._open -= 1
        for counts, key in ((self._open_per_hash, hash_key), (self._open_per_address, address)):
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]

    def message(self, hash_key: str, address: str) -> None:
        """Count one message in the current fixed window, or raise RateLimitedError past a limit."""
        now = self._clock()
        index = math.floor(now / self._window)
        if index != self._window_index:
            # A new window: the old counts go, so memory holds only the keys active in this window.
            self._window_index, self._messages = index, Counter()
        retry_after = max(1, math.ceil((index + 1) * self._window - now))
        hash_count, address_count = f"hash:{hash_key}", f"address:{address}"
        if self._messages[hash_count] >= self._messages_per_hash:
            raise RateLimitedError("too many messages on this hash", retry_after)
        if self._messages[address_count] >= self._messages_per_address:
            raise RateLimitedError("too many messages from this address", retry_after)
        self._messages[hash_count] += 1
        self._messages[address_count] += 1


def unlimited_guard() -> SocketGuard:
    """For sessions built without configuration (tests of the session alone)."""
    big = 1 << 30
    return SocketGuard(
        max_sockets=big,
        max_per_hash=big,
        max_per_address=big,
        messages_per_hash=big,
        messages_per_address=big,
        window_seconds=60.0,
    )
