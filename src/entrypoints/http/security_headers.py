"""Transport rules every answer carries: HSTS on HTTP answers, and the Origin allow-list on socket upgrades.

Both are plain ASGI layers around the Litestar app (entrypoints.app.served_app), not Litestar middleware or a
before-send hook: Litestar would run a hook for every message sent, socket frames included, and any middleware of
its own puts a second exception-handling layer around every route, which each idle socket keeps a frame of."""

from collections.abc import Awaitable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.settings import Settings
from entrypoints.ws.origin_check import OriginAllowList

# One year; subdomains are the operator's to decide, so they are not included.
HSTS = b"max-age=31536000"


def strict_transport_security(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Every HTTP answer (404s and errors included) carries HSTS when clients use https."""
    if not (settings.tls or settings.public_base_url.startswith("https://")):
        return app

    def with_hsts(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: it hands back `app`'s own, so a socket's connection keeps no frame of this layer alive.
        if scope["type"] != ScopeType.HTTP:
            return app(scope, receive, send)
        return app(scope, receive, _adding_hsts(send))

    return with_hsts


def _adding_hsts(send: Send) -> Send:
    async def send_with_hsts(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"strict-transport-security", HSTS)]
        await send(message)

    return send_with_hsts


def origin_allow_list(app: ASGIApp, settings: Settings) -> ASGIApp:
    """The Origin allow-list for socket upgrades (none when any origin is allowed)."""
    allowed = settings.origin_allow_list()
    return app if allowed is None else OriginAllowList(app, allowed)
