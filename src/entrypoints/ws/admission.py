"""The steps every socket endpoint takes before its session: admit the channel key, read where to resume from."""

from collections.abc import Callable, Coroutine
from typing import Any

from litestar.channels import ChannelsPlugin

from domain.access.capability import Capability
from domain.shared.errors import UnauthorizedError
from entrypoints.ws.authorisation import ClientAuthorisation, refuse_unauthorised
from entrypoints.ws.client_connection import ClientConnection
from entrypoints.ws.resume_point import ResumePoint, ResumePointError, parse_resume_point, refuse_resume_point
from entrypoints.ws.session import SocketRequests, run_session
from entrypoints.ws.socket_limits import SocketLimits
from entrypoints.ws.socket_use_cases import SocketUseCases

# The socket's requests object, made once admitted: its class (StkRequests, B2cRequests, C2bRequests), called with
# what any of them may need. A class, not a closure in the handler: no cells kept in a frame for the socket's life.
RequestsFactory = Callable[[Capability, ClientAuthorisation, SocketUseCases, ResumePoint], SocketRequests]


def admit_and_serve(
    socket: ClientConnection,
    channel_key: str,
    scope: str,
    *,
    after: str | None,
    since: str | None,
    topic: Callable[[str], str],
    requests: RequestsFactory,
    authorisation: ClientAuthorisation,
    use_cases: SocketUseCases,
    channels: ChannelsPlugin,
    limits: SocketLimits,
) -> Coroutine[Any, Any, None]:
    """What to await for a socket on `/mpesa/<scope>/<channel_key>`, in this order: its refusal (1008) when the
    channel key grants no capability with `scope`; its refusal (1008) when `after`/`since` name no place to resume
    from; otherwise its session on `topic(subject)`, answered by `requests(capability, authorisation, use_cases,
    resume)`, until its token expires.

    A plain function that returns the coroutine to await, not a coroutine of its own: the handler awaits
    `run_session` directly, so no frame of this one is kept for the socket's life (docs/performance.md)."""
    try:
        capability = authorisation.admit(channel_key, scope)
    except UnauthorizedError as error:
        return refuse_unauthorised(socket, channel_key, error)
    try:
        resume = parse_resume_point(after, since)
    except ResumePointError as error:
        return refuse_resume_point(socket, error)
    return run_session(
        socket,
        topic(capability.subject),
        requests(capability, authorisation, use_cases, resume),
        channels,
        limits,
        lifetime=authorisation.seconds_left(capability),
        tells_cursor=resume.wants_cursor,
    )
