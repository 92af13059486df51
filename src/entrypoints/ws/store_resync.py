"""After a Redis outage, every socket of this instance reads its catch-up again from the store.

While Redis is away, the updates that cross instances wait in their instance's memory: an instance that stops
meanwhile takes them with it, one whose backlog overflows drops the oldest, and a Redis that restarts empty forgets
what it held unread. Every change is in the store before it is broadcast, so once Redis answers again each socket
here is sent what its catch-up reads on connecting (`SentVersions` drops what it was already sent), and what is
still relayed late is dropped as older than that.
"""

import asyncio
from typing import Protocol

import structlog

logger = structlog.get_logger()

# Store reads at a time, however many sockets are open: a recovery must not turn into a stampede on the store.
CONCURRENT_READS = 4


class ResyncableSocket(Protocol):
    async def catch_up_again(self) -> None: ...


class StoreResync:
    def __init__(self, concurrent_reads: int = CONCURRENT_READS) -> None:
        self._sockets: set[ResyncableSocket] = set()
        self._concurrent_reads = concurrent_reads
        self._running: asyncio.Task[None] | None = None
        self._again = False

    def register(self, socket: ResyncableSocket) -> None:
        self._sockets.add(socket)

    def unregister(self, socket: ResyncableSocket) -> None:
        self._sockets.discard(socket)

    def catch_up_all(self) -> None:
        """Start every open socket's catch-up (one pass at a time: asked during a pass, another pass follows)."""
        if self._running is not None:
            self._again = True
            return
        try:
            self._running = asyncio.get_running_loop().create_task(self._catch_up_until_asked_no_more())
        except RuntimeError:  # no event loop here (a command-line process): no sockets either
            return

    async def wait(self) -> None:
        """Until the passes asked for so far are done."""
        while (running := self._running) is not None:
            await asyncio.wait([running])

    async def _catch_up_until_asked_no_more(self) -> None:
        try:
            again = True
            while again:
                self._again = False
                await self._catch_up_every_socket()
                again = self._again
        finally:
            self._running = None

    async def _catch_up_every_socket(self) -> None:
        waiting = iter(list(self._sockets))

        async def reader() -> None:
            for socket in waiting:
                if socket not in self._sockets:  # closed since the pass began
                    continue
                try:
                    await socket.catch_up_again()
                except Exception:
                    logger.exception("ws_resync_failed")

        sockets = len(self._sockets)
        await asyncio.gather(*(reader() for _ in range(min(self._concurrent_reads, sockets))))
        logger.info("ws_resync", sockets=sockets)
