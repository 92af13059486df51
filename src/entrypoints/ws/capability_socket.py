"""A socket endpoint for one capability: its route, the dependencies every socket takes, and its admission, so a
capability's module says only its path, scope, topic and what its sockets may ask."""

from collections.abc import Callable
from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.handlers import WebsocketRouteHandler

from entrypoints.ws.admission import RequestsFactory, admit_and_serve
from entrypoints.ws.authorisation import ClientAuthorisation
from entrypoints.ws.socket_limits import SocketLimits
from entrypoints.ws.socket_use_cases import SocketUseCases


class SocketServices:
    """All a socket route asks Litestar for when a socket opens, as one object (one dependency, not four:
    entrypoints.http.callbacks's CallbackReception says why)."""

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
    path: str, scope: str, topic: Callable[[str], str], requests: RequestsFactory, about: str
) -> WebsocketRouteHandler:
    """The websocket handler on `path` (which names its channel key `{hash:str}`); `about` is its documentation.

    Query `after` (the cursor of the last `caught_up` message, empty on a first connection) or `since` (ISO 8601,
    the `updated_at` of the last update the client saw): where the catch-up resumes (docs/protocol.md)."""

    async def serve(
        socket: WebSocket[Any, Any, Any],
        hash: str,  # the protocol's name (docs/asyncapi.json) for the channel key
        socket_services: NamedDependency[SocketServices],
        since: str | None = None,
        after: str | None = None,
    ) -> None:
        await admit_and_serve(
            socket,
            hash,
            scope,
            after=after,
            since=since,
            topic=topic,
            requests=requests,
            authorisation=socket_services.authorisation,
            use_cases=socket_services.use_cases,
            channels=socket_services.channels,
            limits=socket_services.limits,
        )

    serve.__name__ = serve.__qualname__ = f"{scope}_socket"
    serve.__doc__ = about
    return websocket(path)(serve)
