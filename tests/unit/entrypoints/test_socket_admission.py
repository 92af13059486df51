"""Every socket endpoint's admission, in order: the channel key, then where to resume from, then the session."""

from types import SimpleNamespace
from typing import Any, cast

from litestar import WebSocket
from litestar.channels import ChannelsPlugin

from domain.access.capability import C2B, STK, Capability
from domain.access.capability_token import TokenKeys
from entrypoints.ws.admission import admit_and_serve
from entrypoints.ws.authorisation import ClientAuthorisation
from entrypoints.ws.resume_point import BOTH_REFUSED, CLOSE_POLICY_VIOLATION, ResumePoint
from entrypoints.ws.socket_limits import SocketLimits
from entrypoints.ws.socket_use_cases import SocketUseCases
from tests.unit.fakes import FixedClock

KEYS = "k1:" + "a" * 64


class RefusedPeer:
    """Records the handshake and the close a refused socket gets."""

    def __init__(self) -> None:
        self.path = "/mpesa/stk/user123"
        self.calls: list[Any] = []

    async def accept(self) -> None:
        self.calls.append("accept")

    async def close(self, code: int, reason: str) -> None:
        self.calls.append((code, reason))


class RequestsMade:
    """A requests factory that remembers what it was called with."""

    def __init__(self) -> None:
        self.made: list[tuple[Any, ...]] = []

    def __call__(self, *arguments: Any) -> Any:
        self.made.append(arguments)
        return SimpleNamespace(kinds=frozenset(), missed=None)


def serve(peer: RefusedPeer, channel_key: str, *, signed: bool, requests: RequestsMade, **query: str | None) -> Any:
    authorisation = ClientAuthorisation(
        signed=signed, keys=TokenKeys.parse(KEYS), open_withdrawals=False, clock=FixedClock()
    )
    return admit_and_serve(
        cast("WebSocket[Any, Any, Any]", peer),
        channel_key,
        STK,
        after=query.get("after"),
        since=query.get("since"),
        topic=lambda subject: f"/mpesa/{subject}",
        requests=requests,
        authorisation=authorisation,
        use_cases=cast("SocketUseCases", "use cases"),
        channels=cast("ChannelsPlugin", None),
        limits=cast("SocketLimits", None),
    )


async def test_an_unauthorised_channel_key_is_refused_before_its_resume_point_is_read() -> None:
    peer, requests = RefusedPeer(), RequestsMade()

    await serve(peer, "user123", signed=True, requests=requests, after="not a cursor", since="nor a time")

    assert peer.calls == ["accept", (CLOSE_POLICY_VIOLATION, "UNAUTHORIZED: a signed capability token is required")]
    assert requests.made == []


async def test_an_admitted_socket_with_no_place_to_resume_from_is_refused_without_a_session() -> None:
    peer, requests = RefusedPeer(), RequestsMade()

    await serve(peer, "user123", signed=False, requests=requests, after="", since="2026-01-01T00:00:00Z")

    assert peer.calls == ["accept", (CLOSE_POLICY_VIOLATION, BOTH_REFUSED)]
    assert requests.made == []


def test_an_admitted_socket_gets_its_requests_made_with_its_capability_and_resume_point() -> None:
    peer, requests = RefusedPeer(), RequestsMade()

    session = serve(peer, "user123", signed=False, requests=requests, after="")
    session.close()  # the session itself (run_session) is the e2e tests': only what it was handed is checked here

    ((capability, authorisation, use_cases, resume),) = requests.made
    assert isinstance(capability, Capability) and capability.subject == "user123"
    assert capability.scopes >= {STK, C2B}
    assert isinstance(authorisation, ClientAuthorisation) and use_cases == "use cases"
    assert resume == ResumePoint(wants_cursor=True)
    assert peer.calls == []
