"""The simulator's listening sockets, closed so that connections are refused for real (the client's connect
fails, as when Daraja is down) and opened again on the same addresses.

Works on the uvicorn.Server serving the app: the same steps uvicorn takes to stop accepting on shutdown
(close the listening servers, ask each open connection to finish), then new servers on the same addresses with
protocols built as `uvicorn.Server.startup` builds them (uvicorn is pinned; a change there shows in the
simulator's refusal tests). Works on asyncio's loop and on uvloop alike.
"""

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn

# Long enough for closed keep-alive connections to reach their clients before the control request is answered.
_SETTLE_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class _Address:
    family: socket.AddressFamily
    address: tuple[str, int]


class Listener:
    def __init__(self, server: uvicorn.Server) -> None:
        self._server = server
        self._closed: list[_Address] = []

    async def close(self) -> None:
        if self._closed:
            return
        for served in self._server.servers:
            self._closed.extend(_Address(sock.family, sock.getsockname()[:2]) for sock in served.sockets)
            served.close()
        for connection in list(self._server.server_state.connections):
            connection.shutdown()  # idle keep-alive connections close now, busy ones after their answer
        await asyncio.sleep(_SETTLE_SECONDS)

    async def reopen(self) -> None:
        if not self._closed:
            return
        loop = asyncio.get_running_loop()
        reopened = []
        for closed in self._closed:
            sock = socket.socket(closed.family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(closed.address)
            reopened.append(
                await loop.create_server(self._protocol_factory(loop), sock=sock, backlog=self._server.config.backlog)
            )
        self._server.servers = reopened
        self._closed = []

    def _protocol_factory(self, loop: asyncio.AbstractEventLoop) -> Callable[[], asyncio.Protocol]:
        server, config = self._server, self._server.config

        def create_protocol() -> asyncio.Protocol:
            protocol: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=server.server_state, app_state=server.lifespan.state, _loop=loop
            )
            return protocol

        return create_protocol
