"""Closing every open socket with 1001 when the gateway stops, before the server drops the connections."""

import asyncio
import contextlib
from typing import Protocol

CLOSE_GOING_AWAY = 1001


class ClosableSocket(Protocol):
    async def close(self, code: int, reason: str) -> None: ...


class SocketDrain:
    """Knows every open socket and every request still being handled, so a stop can close the one and finish
    the other: a push already sent to Daraja must still record Daraja's answer."""

    def __init__(self) -> None:
        self._sockets: set[ClosableSocket] = set()
        self._requests: set[asyncio.Task[None]] = set()
        self._all_closed = asyncio.Event()
        self._all_closed.set()
        self.draining = False

    def track(self, request: "asyncio.Task[None]") -> None:
        self._requests.add(request)
        request.add_done_callback(self._requests.discard)

    async def finish_requests(self, within_seconds: float) -> None:
        if self._requests:
            await asyncio.wait(list(self._requests), timeout=within_seconds)

    def register(self, socket: ClosableSocket) -> None:
        self._sockets.add(socket)
        self._all_closed.clear()

    def unregister(self, socket: ClosableSocket) -> None:
        self._sockets.discard(socket)
        if not self._sockets:
            self._all_closed.set()

    @property
    def open_sockets(self) -> int:
        return len(self._sockets)

    async def close_all(self, within_seconds: float) -> None:
        """Tell every client the server is going away, then wait (bounded) for their sessions to end."""
        self.draining = True
        await asyncio.gather(
            *(socket.close(CLOSE_GOING_AWAY, "server shutting down") for socket in list(self._sockets)),
            return_exceptions=True,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_closed.wait(), within_seconds)
