from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency

from domain.capability import STK
from domain.errors import UnauthorizedError
from domain.resume_cursor import ResumeCursor
from domain.topics import stk_topic
from domain.use_cases.catch_up import CatchUp, CaughtUp, SendUpdate
from domain.use_cases.payment_status import PaymentStatusQuery
from domain.use_cases.push_payment import PushCommand, PushPayment
from entrypoints.protocol.messages import ClientMessage, PushPayload, StatusPayload, convert
from entrypoints.ws.authorisation import ClientAuthorisation, refuse_unauthorised
from entrypoints.ws.resume_point import ResumePointError, parse_resume_point, refuse_resume_point
from entrypoints.ws.session import run_session
from entrypoints.ws.socket_limits import SocketLimits


@websocket("/mpesa/stk/{hash:str}")
async def stk_socket(
    socket: WebSocket[Any, Any, Any],
    hash: str,
    push_payment: NamedDependency[PushPayment],
    payment_status: NamedDependency[PaymentStatusQuery],
    channels: NamedDependency[ChannelsPlugin],
    socket_limits: NamedDependency[SocketLimits],
    stk_catch_up: NamedDependency[CatchUp],
    client_authorisation: NamedDependency[ClientAuthorisation],
    since: str | None = None,
    after: str | None = None,
) -> None:
    """`hash`: a signed capability token, or (open mode) a plain hash. Query `after` (the cursor of the last
    `caught_up` message, empty on a first connection) or `since` (ISO 8601, the `updated_at` of the last update the
    client saw): where the catch-up resumes (docs/protocol.md: catching up)."""
    try:
        capability = client_authorisation.admit(hash, STK)
    except UnauthorizedError as error:
        await refuse_unauthorised(socket, hash, error)
        return
    # The token's subject, never the token: the topic and the stored hash stay the same across renewals.
    subject = capability.subject

    async def push(message: ClientMessage) -> dict[str, Any]:
        request = convert(message.payload, PushPayload)
        client_authorisation.permit_push(capability, request.phone)
        # The client's `ref` is the idempotency key: sending the same push again returns the first one.
        command = PushCommand(
            subject,
            request.phone,
            request.amount,
            request.description,
            idempotency_key=message.ref,
            reference=request.reference,
            metadata=request.metadata,
        )
        return (await push_payment(command)).view()

    async def status(message: ClientMessage) -> dict[str, Any]:
        client_authorisation.permit_read(capability)
        return (await payment_status(subject, convert(message.payload, StatusPayload).checkout)).view()

    try:
        resume = parse_resume_point(after, since)
    except ResumePointError as error:
        await refuse_resume_point(socket, error)
        return

    async def missed(send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
        return await stk_catch_up(subject, send, after=cursor or resume.after, since=resume.since)

    await run_session(
        socket,
        stk_topic(subject),
        {"push": push, "status": status},
        channels,
        socket_limits,
        missed=missed,
        lifetime=client_authorisation.seconds_left(capability),
        tells_cursor=resume.wants_cursor,
    )
