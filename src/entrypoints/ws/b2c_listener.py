from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency

from domain.capability import B2C
from domain.errors import UnauthorizedError
from domain.resume_cursor import ResumeCursor
from domain.topics import b2c_topic
from domain.use_cases.catch_up import CatchUp, CaughtUp, SendUpdate
from domain.use_cases.request_withdrawal import RequestWithdrawal, WithdrawCommand
from entrypoints.protocol.messages import ClientMessage, WithdrawPayload, convert
from entrypoints.ws.authorisation import ClientAuthorisation, refuse_unauthorised
from entrypoints.ws.resume_point import ResumePointError, parse_resume_point, refuse_resume_point
from entrypoints.ws.session import run_session
from entrypoints.ws.socket_limits import SocketLimits


@websocket("/mpesa/b2c/{hash:str}")
async def b2c_socket(
    socket: WebSocket[Any, Any, Any],
    hash: str,  # the protocol's name for the connection's identifier (docs/asyncapi.json)
    request_withdrawal: NamedDependency[RequestWithdrawal],
    channels: NamedDependency[ChannelsPlugin],
    socket_limits: NamedDependency[SocketLimits],
    b2c_catch_up: NamedDependency[CatchUp],
    client_authorisation: NamedDependency[ClientAuthorisation],
    since: str | None = None,
    after: str | None = None,
) -> None:
    """`hash`: a signed capability token with the b2c scope, or (open withdrawals only) a plain hash. Query `after`
    (the cursor of the last `caught_up` message, empty on a first connection) or `since` (ISO 8601, the `updated_at`
    of the last update the client saw): where the catch-up resumes (docs/protocol.md: catching up)."""
    try:
        capability = client_authorisation.admit(hash, B2C)
    except UnauthorizedError as error:
        await refuse_unauthorised(socket, hash, error)
        return
    # The token's subject, never the token: the topic, the stored hash and the daily total survive renewals.
    subject = capability.subject

    async def withdraw(message: ClientMessage) -> dict[str, Any]:
        request = convert(message.payload, WithdrawPayload)
        client_authorisation.permit_withdrawal(capability, request.phone, request.amount)
        # The client's `ref` is the idempotency key: sending the same withdrawal again returns the first one.
        command = WithdrawCommand(
            subject,
            request.phone,
            request.amount,
            request.description,
            idempotency_key=message.ref,
            reference=request.reference,
            metadata=request.metadata,
        )
        return (await request_withdrawal(command)).view()

    try:
        resume = parse_resume_point(after, since)
    except ResumePointError as error:
        await refuse_resume_point(socket, error)
        return

    async def missed(send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
        return await b2c_catch_up(subject, send, after=cursor or resume.after, since=resume.since)

    await run_session(
        socket,
        b2c_topic(subject),
        {"withdraw": withdraw},
        channels,
        socket_limits,
        missed=missed,
        lifetime=client_authorisation.seconds_left(capability),
        tells_cursor=resume.wants_cursor,
    )
