"""A minimal HTTP/1.1 keep-alive client over TLS for the load generators.

httpx costs far more CPU per request than the servers measured here; on a 2-core machine that CPU would be taken
from the server under test. This client writes the request and reads one response, nothing more.
"""

import asyncio
import contextlib
import ssl

_HEADER_LIMIT = 100


class HttpError(RuntimeError):
    """The server closed the connection or answered something that is not HTTP/1.1."""


class HttpConnection:
    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext,
        timeout: float = 30.0,
        local_addr: tuple[str, int] | None = None,
    ) -> None:
        self.host, self.port, self.tls, self.timeout, self.local_addr = host, port, tls, timeout, local_addr
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, ssl=self.tls, local_addr=self.local_addr), self.timeout
        )

    def request_bytes(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n"
        )
        return head.encode() + body

    async def send(self, request: bytes) -> None:
        """Write a request made by `request_bytes`, connecting first if needed."""
        if self._writer is None or self._writer.is_closing():
            await self.connect()
        assert self._writer is not None
        self._writer.write(request)

    async def response(self) -> tuple[int, bytes]:
        """Read the answer to the request just sent: its status and body."""
        try:
            return await asyncio.wait_for(self._read_response(), self.timeout)
        except BaseException:
            await self.close()
            raise

    async def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        await self.send(self.request_bytes(path, body, headers))
        return await self.response()

    async def _read_response(self) -> tuple[int, bytes]:
        assert self._reader is not None
        status_line = await self._reader.readline()
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"not an HTTP response: {status_line[:80]!r}")
        status = int(parts[1])
        length, chunked, closing = 0, False, False
        for _ in range(_HEADER_LIMIT):
            line = await self._reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                closing = True
        body = await self._read_chunked() if chunked else await self._reader.readexactly(length)
        if closing:
            await self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        for _ in range(1_000_000):
            size = int((await self._reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self._reader.readline()
                break
            parts.append(await self._reader.readexactly(size))
            await self._reader.readline()
        return b"".join(parts)

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                await asyncio.wait_for(writer.wait_closed(), 2)
