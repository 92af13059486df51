from collections.abc import Mapping
from typing import Any

from domain.access.capability import STK, Capability
from domain.events.topics import stk_topic
from domain.shared.resume_cursor import CaughtUp, ResumeCursor, SendUpdate
from domain.stk.use_cases.push_payment import PushCommand
from entrypoints.protocol.messages import ClientMessage, PushPayload, StatusPayload, convert
from entrypoints.ws.authorisation import ClientAuthorisation
from entrypoints.ws.capability_socket import capability_socket
from entrypoints.ws.resume_point import ResumePoint
from entrypoints.ws.socket_use_cases import SocketUseCases

ABOUT = """The STK socket. `hash`, the channel key: a signed capability token, or (open mode) a plain subject. It
asks `push` and `status`, and is sent every change of its subject's payments as an `update`."""


class StkRequests:
    """What one STK socket may ask (`push`, `status`) and what it missed, for its capability."""

    __slots__ = ("_authorisation", "_capability", "_resume", "_use_cases")
    kinds = frozenset({"push", "status"})

    def __init__(
        self, capability: Capability, authorisation: ClientAuthorisation, use_cases: SocketUseCases, resume: ResumePoint
    ) -> None:
        self._capability, self._authorisation = capability, authorisation
        self._use_cases, self._resume = use_cases, resume

    async def answer(self, kind: str, message: ClientMessage) -> Mapping[str, Any]:
        return await (self.push if kind == "push" else self.status)(message)

    async def push(self, message: ClientMessage) -> Mapping[str, Any]:
        request = convert(message.payload, PushPayload)
        self._authorisation.permit_push(self._capability, request.phone)
        # The token's subject, never the token: the topic and the stored subject stay the same across renewals.
        # The client's `ref` is the idempotency key: sending the same push again returns the first one.
        command = PushCommand(
            self._capability.subject,
            request.phone,
            request.amount,
            request.description,
            idempotency_key=message.ref,
            reference=request.reference,
            metadata=request.metadata,
        )
        return (await self._use_cases.push_payment()(command)).view()

    async def status(self, message: ClientMessage) -> Mapping[str, Any]:
        self._authorisation.permit_read(self._capability)
        checkout = convert(message.payload, StatusPayload).checkout
        return (await self._use_cases.payment_status()(self._capability.subject, checkout)).view()

    async def missed(self, send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
        resume = self._resume
        catch_up = self._use_cases.stk_catch_up()
        return await catch_up(self._capability.subject, send, after=cursor or resume.after, since=resume.since)


stk_socket = capability_socket("/mpesa/stk", STK, stk_topic, StkRequests, ABOUT)
