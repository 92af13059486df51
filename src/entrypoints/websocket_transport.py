"""uvicorn's sans-I/O websockets protocol, with permessage-deflate that keeps no compression window per socket.

uvicorn's own deflate keeps a zlib compressor and decompressor alive for every socket's whole life (context
takeover): tens of KiB each, for sockets that are idle nearly all the time. Negotiating `server_no_context_takeover`
and `client_no_context_takeover` makes both ends compress each message on its own, so a socket only holds zlib state
while a message is being (de)compressed. The gateway's messages are small, self-contained JSON documents: a shared
window gains them little. This is the nearest equivalent of uWebSockets' shared compressor, which the gateway's
earlier uWebSockets-based server used.
"""

import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.server import ServerProtocol


class StatelessDeflateProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            self.conn = ServerProtocol(
                extensions=[
                    ServerPerMessageDeflateFactory(
                        server_no_context_takeover=True,
                        client_no_context_takeover=True,
                        server_max_window_bits=12,
                        client_max_window_bits=12,
                        compress_settings={"memLevel": 5},
                    )
                ],
                max_size=self.config.ws_max_size,
                logger=logging.getLogger("uvicorn.error"),
            )

    def start_keepalive(self) -> None:
        """Called once, right after the handshake's response is sent."""
        super().start_keepalive()
        # uvicorn keeps the upgrade request and its response (both with their headers) for the socket's whole life,
        # though nothing reads them after this point: ~3 KiB per idle socket. The ASGI scope keeps its own headers.
        self.request = self.response = None  # type: ignore[assignment]
