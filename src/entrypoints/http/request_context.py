"""Every HTTP request's log lines carry one `request_id` (structlog contextvars), as a socket's carry `connection`.

The id is also sent back as the `X-Request-ID` response header, so a caller can quote it."""

import uuid
from collections.abc import Awaitable

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"


def request_context(app: ASGIApp) -> ASGIApp:
    def middleware(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: a socket gets `app`'s own, so its connection keeps no frame of this middleware alive.
        if scope["type"] != ScopeType.HTTP:
            return app(scope, receive, send)
        return with_request_id(scope, receive, send)

    async def with_request_id(scope: Scope, receive: Receive, send: Send) -> None:
        request_id = uuid.uuid4().hex[:12]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await app(scope, receive, send_with_id)

    return middleware
