"""The orchestrator drives each load generator over a local TCP connection: one JSON line out, one JSON line back."""

import asyncio
import contextlib
import json
from typing import Any

# Results carry latency samples; a line may be large.
LINE_LIMIT = 64 * 1024 * 1024


class ControlError(RuntimeError):
    """A load generator answered a command with an error."""


class Controller:
    """One connection to one load generator; commands on it run one at a time."""

    def __init__(self, name: str, port: int) -> None:
        self.name, self.port = name, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port, limit=LINE_LIMIT)

    async def call(self, command: str, seconds: float, **arguments: Any) -> Any:
        """Run `command` on the load generator, waiting at most `seconds` for its answer."""
        assert self._reader is not None and self._writer is not None, "connect() first"
        async with self._lock:
            self._writer.write(json.dumps({"command": command, "arguments": arguments}).encode() + b"\n")
            await self._writer.drain()
            line = await asyncio.wait_for(self._reader.readline(), seconds)
        if not line:
            raise ControlError(f"{self.name}: the load generator closed the connection during {command}")
        answer = json.loads(line)
        if "error" in answer:
            raise ControlError(f"{self.name}: {command} failed: {answer['error']}")
        return answer["result"]

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(self._writer.wait_closed(), 2)
