from collections.abc import Mapping
from typing import Any

from domain.access.capability import C2B, Capability
from domain.c2b.topic import c2b_topic
from domain.shared.resume_cursor import CaughtUp, ResumeCursor, SendUpdate
from entrypoints.protocol.messages import ClientMessage
from entrypoints.ws.authorisation import ClientAuthorisation
from entrypoints.ws.capability_socket import capability_socket
from entrypoints.ws.resume_point import ResumePoint
from entrypoints.ws.socket_use_cases import SocketUseCases

ABOUT = """The C2B socket. `hash`, the channel key: a signed capability token with the c2b scope, or (open mode) a
plain subject: the `hash` the merchant's backend gave its payment requests. It only listens: on connecting it is sent
the subject's open requests (resuming with `after` or `since`: every request changed since, closed ones too), then
every payment and payment-request change of the subject as an `update` (docs/protocol.md, "C2B")."""


class C2bRequests:
    """A C2B socket only listens: it asks nothing; what it missed is its subject's open requests, or, resuming,
    every request of the subject changed since its cursor (or its `since`)."""

    __slots__ = ("_resume", "_subject", "_use_cases")
    kinds: frozenset[str] = frozenset()

    def __init__(
        self, capability: Capability, authorisation: ClientAuthorisation, use_cases: SocketUseCases, resume: ResumePoint
    ) -> None:
        # The STK and B2C sockets' arguments (admission.RequestsFactory); asking nothing, it keeps only the subject.
        self._subject, self._use_cases, self._resume = capability.subject, use_cases, resume

    async def answer(self, kind: str, message: ClientMessage) -> Mapping[str, Any]:
        raise AssertionError(f"a C2B socket asks nothing, not {kind!r}")  # read_envelope refuses every kind first

    async def missed(self, send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
        since = self._resume.since
        resume_after = cursor or self._resume.after or (None if since is None else ResumeCursor.before(since))
        return await self._use_cases.c2b_catch_up()(self._subject, send, resume_after)


c2b_socket = capability_socket("/mpesa/c2b", C2B, c2b_topic, C2bRequests, ABOUT)
