from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency

from domain.c2b.topic import c2b_topic
from domain.c2b.use_cases.catch_up_open_requests import CatchUpOpenRequests
from domain.capability import C2B
from domain.errors import UnauthorizedError
from domain.resume_cursor import ResumeCursor
from domain.use_cases.catch_up import CaughtUp, SendUpdate
from entrypoints.ws.authorisation import ClientAuthorisation, refuse_unauthorised
from entrypoints.ws.session import run_session
from entrypoints.ws.socket_limits import SocketLimits


@websocket("/mpesa/c2b/{hash:str}")
async def c2b_socket(
    socket: WebSocket[Any, Any, Any],
    hash: str,  # the protocol's name for the connection's identifier (docs/asyncapi.json)
    channels: NamedDependency[ChannelsPlugin],
    socket_limits: NamedDependency[SocketLimits],
    client_authorisation: NamedDependency[ClientAuthorisation],
    c2b_catch_up: NamedDependency[CatchUpOpenRequests],
) -> None:
    """`hash`: a signed capability token with the c2b scope, or (open mode) a plain hash: the `hash` the merchant's
    backend gave its payment requests. The socket only listens: on connecting it is sent the hash's open requests,
    then every payment and payment-request change of the hash as an `update` (docs/protocol.md, "C2B")."""
    try:
        capability = client_authorisation.admit(hash, C2B)
    except UnauthorizedError as error:
        await refuse_unauthorised(socket, hash, error)
        return

    async def missed(send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
        return await c2b_catch_up(capability.subject, send, cursor)

    await run_session(
        socket,
        c2b_topic(capability.subject),
        {},
        channels,
        socket_limits,
        missed=missed,
        lifetime=client_authorisation.seconds_left(capability),
    )
