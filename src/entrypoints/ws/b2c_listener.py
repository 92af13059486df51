from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency

from domain.topics import b2c_topic
from domain.use_cases.catch_up import CatchUp
from domain.use_cases.request_withdrawal import RequestWithdrawal, WithdrawCommand
from entrypoints.protocol.messages import ClientMessage, WithdrawPayload, convert
from entrypoints.ws.session import run_session
from entrypoints.ws.since import parse_since, refuse_since
from entrypoints.ws.socket_limits import SocketLimits


@websocket("/mpesa/b2c/{hash:str}")
async def b2c_socket(
    socket: WebSocket,
    hash: str,  # the seed's name for the connection's identifier
    request_withdrawal: NamedDependency[RequestWithdrawal],
    channels: NamedDependency[ChannelsPlugin],
    socket_limits: NamedDependency[SocketLimits],
    b2c_catch_up: NamedDependency[CatchUp],
    since: str | None = None,
) -> None:
    """Query `since` (ISO 8601, the `updated_at` of the last update the client saw) narrows the catch-up."""

    async def withdraw(message: ClientMessage) -> dict[str, Any]:
        request = convert(message.payload, WithdrawPayload)
        # The client's `ref` is the idempotency key: sending the same withdrawal again returns the first one.
        command = WithdrawCommand(hash, request.phone, request.amount, request.description, idempotency_key=message.ref)
        return (await request_withdrawal(command)).view()

    try:
        last_seen = parse_since(since)
    except ValueError:
        await refuse_since(socket)
        return
    await run_session(
        socket,
        b2c_topic(hash),
        {"withdraw": withdraw},
        channels,
        socket_limits,
        missed=lambda: b2c_catch_up(hash, last_seen),
    )
