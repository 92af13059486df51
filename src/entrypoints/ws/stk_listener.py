from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency

from domain.topics import stk_topic
from domain.use_cases.payment_status import PaymentStatusQuery
from domain.use_cases.push_payment import PushCommand, PushPayment
from entrypoints.protocol.messages import ClientMessage, PushPayload, StatusPayload, convert
from entrypoints.ws.session import run_session
from entrypoints.ws.socket_limits import SocketLimits


@websocket("/mpesa/stk/{hash:str}")
async def stk_socket(
    socket: WebSocket,
    hash: str,
    push_payment: NamedDependency[PushPayment],
    payment_status: NamedDependency[PaymentStatusQuery],
    channels: NamedDependency[ChannelsPlugin],
    socket_limits: NamedDependency[SocketLimits],
) -> None:
    async def push(message: ClientMessage) -> dict[str, Any]:
        request = convert(message.payload, PushPayload)
        # The client's `ref` is the idempotency key: sending the same push again returns the first one.
        command = PushCommand(hash, request.phone, request.amount, request.description, idempotency_key=message.ref)
        return (await push_payment(command)).view()

    async def status(message: ClientMessage) -> dict[str, Any]:
        return (await payment_status(hash, convert(message.payload, StatusPayload).checkout)).view()

    await run_session(socket, stk_topic(hash), {"push": push, "status": status}, channels, socket_limits)
