"""One client's websocket, spoken to in plain ASGI events: the few things a session does with it.

Litestar's `WebSocket` would be the natural object here, but it is per-connection state kept for the socket's whole
life (the connection, its receive and send wrappers, their closures, the handler's parsed arguments and the frames
awaiting them: ~1.5 KiB per idle socket, bench/socket_memory.py), for methods a session does not use. A socket is
idle nearly all its life, so this is one slotted object over the server's own `receive` and `send`.
"""

from litestar.types import Receive, Scope, Send


class ClientConnection:
    __slots__ = ("_send", "receive", "scope")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # `receive`: the server's own, awaited as it is (the next `websocket.receive` or `websocket.disconnect`),
        # rather than through a method whose frame an idle socket would keep.
        self.scope, self.receive, self._send = scope, receive, send

    @property
    def path(self) -> str:
        """The request's whole path (`/mpesa/stk/<channel key>`): the route is mounted, so `path` in the scope is
        only what follows the mount; the server's `raw_path` is the path as received."""
        raw = self.scope.get("raw_path")
        return raw.decode("latin-1") if raw else str(self.scope.get("path", ""))

    @property
    def client_host(self) -> str:
        client = self.scope.get("client")
        return str(client[0]) if client else "unknown"

    async def accept(self) -> None:
        """Complete the handshake: the server's `websocket.connect` is read first, as ASGI has it."""
        await self.receive()
        await self._send({"type": "websocket.accept", "subprotocol": None, "headers": []})

    async def send_text(self, frame: bytes) -> None:
        await self._send({"type": "websocket.send", "bytes": None, "text": frame.decode()})

    async def close(self, code: int, reason: str) -> None:
        """Before `accept`, the server refuses the upgrade (403); after it, a close frame with `code` and `reason`."""
        await self._send({"type": "websocket.close", "code": code, "reason": reason})
