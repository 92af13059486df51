"""uvicorn, taught to close sockets with 1001 before it stops (it would close them with 1012 itself)."""

import asyncio
from types import FrameType

import uvicorn

from entrypoints.ws.drain import SocketDrain

# How long clients get to see the close frame before the server drops what is left.
_DRAIN_SECONDS = 2.0


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain: SocketDrain) -> None:
        super().__init__(config)
        self._drain = drain
        self._draining: asyncio.Task[None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._draining is not None or self.should_exit:
            super().handle_exit(sig, frame)  # a second signal: stop now
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            super().handle_exit(sig, frame)
            return
        self._draining = loop.create_task(self._drain_then_exit(sig, frame))

    async def _drain_then_exit(self, sig: int, frame: FrameType | None) -> None:
        try:
            await self._drain.close_all(_DRAIN_SECONDS)
        finally:
            super().handle_exit(sig, frame)
