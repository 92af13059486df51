"""Transport rules every answer carries: HSTS on HTTP answers, and the Origin allow-list on socket upgrades."""

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

from entrypoints.settings import Settings
from entrypoints.ws.origin_check import OriginAllowList

# One year; subdomains are the operator's to decide, so they are not included.
HSTS = "max-age=31536000"


async def add_hsts(message: Message, scope: Scope) -> None:
    # async: Litestar runs a synchronous hook in a worker thread, once for every message sent, socket frames included.
    if scope["type"] == ScopeType.HTTP and message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["strict-transport-security"] = HSTS


def strict_transport_security(settings: Settings) -> list[BeforeMessageSendHookHandler]:
    """A before-send hook, so every HTTP answer (404s and errors included) carries HSTS when clients use https."""
    return [add_hsts] if settings.tls or settings.public_base_url.startswith("https://") else []


def transport_security(settings: Settings) -> list[DefineMiddleware]:
    """The Origin allow-list for socket upgrades (none when any origin is allowed)."""
    allowed = settings.origin_allow_list()
    return [] if allowed is None else [DefineMiddleware(OriginAllowList, allowed=allowed)]
