"""Browser WebSocket upgrades only from allowed origins; clients that send no Origin (servers, apps) are let through."""

from collections.abc import Awaitable

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

logger = structlog.get_logger()


class OriginAllowList:
    """Refuses the upgrade (HTTP 403) of a socket whose Origin header is not in `allowed`."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self._app, self._allowed = app, allowed

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: an allowed socket gets the inner app's own, so it keeps no frame of this middleware alive.
        if scope["type"] == ScopeType.WEBSOCKET:
            origin = dict(scope["headers"]).get(b"origin")
            if origin is not None and origin.decode("latin-1").lower().rstrip("/") not in self._allowed:
                logger.warning("security_origin_refused", origin=origin.decode("latin-1")[:200])
                # Closing before accepting makes the server answer the upgrade with 403.
                return send({"type": "websocket.close", "code": 1008, "reason": "origin not allowed"})
        return self._app(scope, receive, send)
