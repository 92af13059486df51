"""A test client for the gateway's sockets that keeps replies, topic updates and `caught_up` messages apart."""

import asyncio
import json
import ssl
from collections.abc import Callable
from typing import Any, Self

import websockets

WAIT_SECONDS = 10.0


class SocketClient:
    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.updates: list[dict[str, Any]] = []
        self.caught_up: list[dict[str, Any]] = []
        self._update_arrived = asyncio.Condition()
        self._caught_up_taken = 0
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, tls: ssl.SSLContext, **options: Any) -> Self:
        connection = await websockets.connect(url, ssl=tls, max_size=None, open_timeout=WAIT_SECONDS, **options)
        return cls(connection)

    async def _read(self) -> None:
        async for frame in self.connection:
            message = json.loads(frame)
            if message.get("kind") in ("update", "caught_up"):
                async with self._update_arrived:
                    (self.updates if message["kind"] == "update" else self.caught_up).append(message)
                    self._update_arrived.notify_all()
            else:
                await self.replies.put(message)

    async def send_text(self, text: str) -> dict[str, Any]:
        await self.connection.send(text)
        return await asyncio.wait_for(self.replies.get(), WAIT_SECONDS)

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        return await self.send_text(json.dumps(message))

    async def update_where(
        self, matches: Callable[[dict[str, Any]], bool], timeout: float = WAIT_SECONDS
    ) -> dict[str, Any]:
        """The first topic update whose data matches, waiting a bounded time for it."""

        async def first_match() -> dict[str, Any]:
            async with self._update_arrived:
                while True:
                    for update in self.updates:
                        if matches(update["data"]):
                            return update
                    await self._update_arrived.wait()

        return await asyncio.wait_for(first_match(), timeout)

    async def updates_counted(self, count: int, timeout: float = WAIT_SECONDS) -> bool:
        """Whether `count` topic updates came within `timeout`."""

        async def counted() -> None:
            async with self._update_arrived:
                await self._update_arrived.wait_for(lambda: len(self.updates) >= count)

        try:
            await asyncio.wait_for(counted(), timeout)
        except TimeoutError:
            return False
        return True

    async def next_caught_up(self, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """The next `caught_up` message (the first, then the second, ...), waiting a bounded time for it."""
        taken = self._caught_up_taken

        async def arrived() -> dict[str, Any]:
            async with self._update_arrived:
                await self._update_arrived.wait_for(lambda: len(self.caught_up) > taken)
                return self.caught_up[taken]

        message = await asyncio.wait_for(arrived(), timeout)
        self._caught_up_taken += 1
        return message

    async def final_update(self, checkout_or_id: str, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        return await self.update_where(
            lambda data: checkout_or_id in (data.get("checkout"), data.get("id")) and data["status"] != "pending",
            timeout,
        )

    async def close(self) -> None:
        await self.connection.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
