from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency

from domain.access.capability import C2B
from domain.c2b.topic import c2b_topic
from domain.shared.errors import UnauthorizedError
from domain.shared.resume_cursor import CaughtUp, ResumeCursor, SendUpdate
from entrypoints.protocol.messages import ClientMessage
from entrypoints.ws.authorisation import ClientAuthorisation, refuse_unauthorised
from entrypoints.ws.resume_point import ResumePoint, ResumePointError, parse_resume_point, refuse_resume_point
from entrypoints.ws.session import run_session
from entrypoints.ws.socket_limits import SocketLimits
from entrypoints.ws.socket_use_cases import SocketUseCases


class C2bRequests:
    """A C2B socket only listens: it asks nothing; what it missed is its subject's open requests, or, resuming,
    every request of the subject changed since its cursor (or its `since`)."""

    __slots__ = ("_resume", "_subject", "_use_cases")
    kinds: frozenset[str] = frozenset()

    def __init__(self, subject: str, use_cases: SocketUseCases, resume: ResumePoint) -> None:
        self._subject, self._use_cases, self._resume = subject, use_cases, resume

    async def answer(self, kind: str, message: ClientMessage) -> dict[str, Any]:
        raise AssertionError(f"a C2B socket asks nothing, not {kind!r}")  # read_envelope refuses every kind first

    async def missed(self, send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
        since = self._resume.since
        resume_after = cursor or self._resume.after or (None if since is None else ResumeCursor.before(since))
        return await self._use_cases.c2b_catch_up()(self._subject, send, resume_after)


@websocket("/mpesa/c2b/{hash:str}")
async def c2b_socket(
    socket: WebSocket[Any, Any, Any],
    hash: str,  # the protocol's name (docs/asyncapi.json) for the channel key
    channels: NamedDependency[ChannelsPlugin],
    socket_limits: NamedDependency[SocketLimits],
    client_authorisation: NamedDependency[ClientAuthorisation],
    socket_use_cases: NamedDependency[SocketUseCases],
    since: str | None = None,
    after: str | None = None,
) -> None:
    """`hash`, the channel key: a signed capability token with the c2b scope, or (open mode) a plain subject: the
    `hash` the merchant's backend gave its payment requests. The socket only listens: on connecting it is sent the
    subject's open requests
    (resuming with `after`, the cursor of its last `caught_up`, or `since`: every request changed since, closed ones
    too), then every payment and payment-request change of the subject as an `update` (docs/protocol.md, "C2B")."""
    channel_key = hash  # a capability token, or (open mode) a plain subject
    try:
        capability = client_authorisation.admit(channel_key, C2B)
    except UnauthorizedError as error:
        await refuse_unauthorised(socket, channel_key, error)
        return
    try:
        resume = parse_resume_point(after, since)
    except ResumePointError as error:
        await refuse_resume_point(socket, error)
        return
    await run_session(
        socket,
        c2b_topic(capability.subject),
        C2bRequests(capability.subject, socket_use_cases, resume),
        channels,
        socket_limits,
        lifetime=client_authorisation.seconds_left(capability),
        tells_cursor=resume.wants_cursor,
    )
