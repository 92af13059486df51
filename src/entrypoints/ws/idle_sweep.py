"""Closing the sockets whose clients have gone quiet: one timer for the whole process, not one per socket.

An idle socket is what a gateway holds most of, so what each keeps for its idle time-out is memory per socket: an
`asyncio.timeout` around every receive (~0.7 KiB per idle socket), or a timer handle of its own (~0.5 KiB, and a
libuv timer under uvloop). Instead a frame only stamps its socket's `heard_at`, and one sweep looks at every socket
each `period` seconds. A socket is closed between `idle_timeout` and `idle_timeout + period` after its last frame:
uWebSockets, which the gateway's original server used, checks its idle time-outs on the same kind of coarse tick
(its `idleTimeout` is documented with a resolution of about 4 seconds).
"""

import asyncio
import contextvars
from typing import Protocol

IDLE_REASON = "idle timeout"
CLOSE_NORMAL = 1000
# The sweep's tick, at most: uWebSockets' own resolution. A shorter time-out (tests use 3 s) is swept 4x as often.
_LONGEST_PERIOD = 4.0


class QuietSocket(Protocol):
    heard_at: float  # loop time of the client's last frame (or of the socket's opening)

    async def close(self, code: int, reason: str) -> None: ...


class IdleSweep:
    def __init__(self, idle_timeout: float) -> None:
        self.idle_timeout = idle_timeout
        self.period = min(_LONGEST_PERIOD, idle_timeout / 4)
        self._sockets: set[QuietSocket] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    def watch(self, socket: QuietSocket) -> None:
        self._sockets.add(socket)
        if self._timer is None:
            self._arm(asyncio.get_running_loop())

    def forget(self, socket: QuietSocket) -> None:
        self._sockets.discard(socket)

    @property
    def ticking(self) -> bool:
        return self._timer is not None

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        quiet_since = loop.time() - self.idle_timeout
        for socket in [socket for socket in self._sockets if socket.heard_at <= quiet_since]:
            self._sockets.discard(socket)
            task = loop.create_task(socket.close(CLOSE_NORMAL, IDLE_REASON))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        # Ticking only while there are sockets: an idle gateway with no clients wakes for nothing.
        self._timer = None
        if self._sockets:
            self._arm(loop)

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        # In a context of its own, not in that of the socket that started it (its log context is that socket's).
        self._timer = loop.call_later(self.period, self._sweep, context=contextvars.Context())
