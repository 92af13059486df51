"""A socket endpoint for one capability: its route, the services every socket takes, and its admission, so a
capability's module says only its path, scope, topic and what its sockets may ask."""

from collections.abc import Callable
from urllib.parse import parse_qsl

from litestar import asgi
from litestar.channels import ChannelsPlugin
from litestar.enums import ScopeType
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.handlers import ASGIRouteHandler
from litestar.types import Receive, Scope, Send

from entrypoints.ws.admission import RequestsFactory, admit_and_serve
from entrypoints.ws.authorisation import ClientAuthorisation
from entrypoints.ws.client_connection import ClientConnection
from entrypoints.ws.socket_limits import SocketLimits
from entrypoints.ws.socket_use_cases import SocketUseCases

# The app state's key for the provider of SocketServices (set by create_app).
SOCKET_SERVICES_STATE = "socket_services"
_UPGRADES_ONLY = "this path serves WebSocket upgrades only"


class SocketServices:
    """All a socket route needs when a socket opens, as one object."""

    __slots__ = ("authorisation", "channels", "limits", "use_cases")

    def __init__(
        self,
        channels: ChannelsPlugin,
        limits: SocketLimits,
        use_cases: SocketUseCases,
        authorisation: ClientAuthorisation,
    ) -> None:
        self.channels, self.limits, self.use_cases, self.authorisation = channels, limits, use_cases, authorisation


def capability_socket(
    path: str, capability_scope: str, topic: Callable[[str], str], requests: RequestsFactory, about: str
) -> ASGIRouteHandler:
    """The socket handler on `path`/{hash}, the last segment its channel key; `about` is its documentation.

    Query `after` (the cursor of the last `caught_up` message, empty on a first connection) or `since` (ISO 8601,
    the `updated_at` of the last update the client saw): where the catch-up resumes (docs/protocol.md).

    A Litestar ASGI route rather than a `websocket` one: Litestar's routing and exception handling still apply,
    but the session talks to one ClientConnection rather than to Litestar's WebSocket and its wrappers, which an
    idle socket would keep for its whole life (docs/performance.md, "Memory per socket"). Its services come from
    the app's state (SOCKET_SERVICES_STATE), as the API-key guard's do.

    Mounted on `path`, because Litestar 2 fails (500, a KeyError in its router) on a plain HTTP request to an ASGI
    route with a path parameter; mounted, the handler reads the channel key from the rest of the path itself and
    answers as Litestar answered for the `websocket` route: a path that is not `path`/{one segment} is not found
    (a socket's upgrade refused), and a plain HTTP request to one is 405."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        # The rest of the path after the mount, as Litestar gives it: "/<channel key>/".
        rest = scope["path"]
        channel_key = rest[1:-1] if rest.startswith("/") and rest.endswith("/") else ""
        if not channel_key or "/" in channel_key:
            raise NotFoundException()
        if scope["type"] != ScopeType.WEBSOCKET:
            raise MethodNotAllowedException(_UPGRADES_ONLY)
        services: SocketServices = scope["litestar_app"].state[SOCKET_SERVICES_STATE]()
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        await admit_and_serve(
            ClientConnection(scope, receive, send),
            channel_key,
            capability_scope,
            after=query.get("after"),
            since=query.get("since"),
            topic=topic,
            requests=requests,
            authorisation=services.authorisation,
            use_cases=services.use_cases,
            channels=services.channels,
            limits=services.limits,
        )

    serve.__name__ = serve.__qualname__ = f"{capability_scope}_socket"
    serve.__doc__ = about
    return asgi(path, is_mount=True, copy_scope=False)(serve)
