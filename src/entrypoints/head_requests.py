"""HEAD answered wherever GET is (RFC 9110 §9.3.2), for every route at once rather than route by route."""

from collections.abc import Awaitable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send


def answer_head_like_get(app: ASGIApp) -> ASGIApp:
    """Hand HEAD requests to `app` as GET. uvicorn keeps its own copy of the scope, still saying HEAD, and so sends
    the headers (Content-Length included) without the body."""

    def with_head(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: it hands back `app`'s own, so a socket's connection keeps no frame of this wrapper alive.
        if scope["type"] == ScopeType.HTTP and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
        return app(scope, receive, send)

    return with_head
