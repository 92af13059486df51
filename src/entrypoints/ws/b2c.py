from collections.abc import Mapping
from typing import Any

from domain.access.capability import B2C, Capability
from domain.b2c.use_cases.request_withdrawal import WithdrawCommand
from domain.events.topics import b2c_topic
from domain.shared.resume_cursor import CaughtUp, ResumeCursor, SendUpdate
from entrypoints.protocol.messages import ClientMessage, WithdrawPayload, convert
from entrypoints.ws.authorisation import ClientAuthorisation
from entrypoints.ws.capability_socket import capability_socket
from entrypoints.ws.resume_point import ResumePoint
from entrypoints.ws.socket_use_cases import SocketUseCases

ABOUT = """The B2C socket. `hash`, the channel key: a signed capability token with the b2c scope, or (open
withdrawals only) a plain subject. It asks `withdraw`, and is sent every change of its subject's withdrawals as an
`update`."""


class B2cRequests:
    """What one B2C socket may ask (`withdraw`) and what it missed, for its capability."""

    __slots__ = ("_authorisation", "_capability", "_resume", "_use_cases")
    kinds = frozenset({"withdraw"})

    def __init__(
        self, capability: Capability, authorisation: ClientAuthorisation, use_cases: SocketUseCases, resume: ResumePoint
    ) -> None:
        self._capability, self._authorisation = capability, authorisation
        self._use_cases, self._resume = use_cases, resume

    async def answer(self, kind: str, message: ClientMessage) -> Mapping[str, Any]:
        return await self.withdraw(message)

    async def withdraw(self, message: ClientMessage) -> Mapping[str, Any]:
        request = convert(message.payload, WithdrawPayload)
        self._authorisation.permit_withdrawal(self._capability, request.phone, request.amount)
        # The token's subject, never the token: the topic, the stored subject and the daily total survive renewals.
        # The client's `ref` is the idempotency key: sending the same withdrawal again returns the first one.
        command = WithdrawCommand(
            self._capability.subject,
            request.phone,
            request.amount,
            request.description,
            idempotency_key=message.ref,
            reference=request.reference,
            metadata=request.metadata,
        )
        return (await self._use_cases.request_withdrawal()(command)).view()

    async def missed(self, send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
        resume = self._resume
        catch_up = self._use_cases.b2c_catch_up()
        return await catch_up(self._capability.subject, send, after=cursor or resume.after, since=resume.since)


b2c_socket = capability_socket("/mpesa/b2c", B2C, b2c_topic, B2cRequests, ABOUT)
