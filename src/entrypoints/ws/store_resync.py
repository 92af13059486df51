"""After a Redis outage, every socket of this instance reads its catch-up again from the store.

While Redis is away, the updates that cross instances wait in their instance's memory: an instance that stops
meanwhile takes them with it, one whose backlog overflows drops the oldest, and a Redis that restarts empty forgets
what it held unread. Every change is in the store before it is broadcast, so once Redis answers again each socket
here is sent what its catch-up reads on connecting (`SentVersions` drops what it was already sent), and what is
still relayed late is dropped as older than that.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable

import structlog

logger = structlog.get_logger()

# Store reads at a time, however many sockets are open: a recovery must not turn into a stampede on the store.
CONCURRENT_READS = 4


class StoreResync:
    def __init__(self, concurrent_reads: int = CONCURRENT_READS) -> None:
        self._catch_ups: dict[Hashable, Callable[[], Awaitable[None]]] = {}
        self._concurrent_reads = concurrent_reads
        self._running: asyncio.Task[None] | None = None
        self._again = False

    def register(self, socket: Hashable, catch_up: Callable[[], Awaitable[None]]) -> None:
        self._catch_ups[socket] = catch_up

    def unregister(self, socket: Hashable) -> None:
        self._catch_ups.pop(socket, None)

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
        waiting = iter(list(self._catch_ups.items()))

        async def reader() -> None:
            for socket, catch_up in waiting:
                if socket not in self._catch_ups:  # closed since the pass began
                    continue
                try:
                    await catch_up()
                except Exception:
                    logger.exception("ws_resync_failed")

        sockets = len(self._catch_ups)
        await asyncio.gather(*(reader() for _ in range(min(self._concurrent_reads, sockets))))
        logger.info("ws_resync", sockets=sockets)
