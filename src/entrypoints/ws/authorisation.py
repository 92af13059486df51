"""Who may open a socket, and what it may ask: a signed capability token in the path, or a plain
subject in open mode: the path's last segment, its channel key, is one or the other."""

import hashlib
from collections.abc import Callable

import structlog

from domain.access.capability import B2C, C2B, STK, Capability
from domain.access.capability_token import V1_ACCEPTED_UNTIL, TokenKeys, is_v1_token, looks_like_token, read_token
from domain.shared.errors import UnauthorizedError
from domain.shared.ports import Clock
from entrypoints.ws.client_connection import ClientConnection
from entrypoints.ws.resume_point import CLOSE_POLICY_VIOLATION

logger = structlog.get_logger()

UNAUTHORIZED_REASON = "UNAUTHORIZED"
# Why a socket is closed (1008) the moment its token expires; the same words as a refused expired token.
EXPIRED_REASON = f"{UNAUTHORIZED_REASON}: the token has expired: reconnect with a fresh one"

# What a plain subject may do, one set for every socket (a socket's capability lives as long as it).
_OPEN, _OPEN_WITH_WITHDRAWALS = frozenset({STK, C2B}), frozenset({STK, C2B, B2C})


class ClientAuthorisation:
    """`signed`: only tokens. Open: plain subjects too (STK and C2B always; B2C only with `open_withdrawals`)."""

    def __init__(
        self,
        *,
        signed: bool,
        keys: TokenKeys | None,
        open_withdrawals: bool,
        clock: Clock,
        on_v1_token: Callable[[], None] | None = None,
    ) -> None:
        self._signed, self._keys, self._open_withdrawals, self._clock = signed, keys, open_withdrawals, clock
        self._on_v1_token = on_v1_token

    def admit(self, channel_key: str, scope: str) -> Capability:
        """The capability for a socket on `/mpesa/<scope>/<channel_key>`; UnauthorizedError when there is none."""
        if looks_like_token(channel_key):
            if self._keys is None:
                raise UnauthorizedError("tokens are not accepted: the gateway has no CLIENT_TOKEN_KEYS")
            capability = read_token(channel_key, self._keys, self._clock.now())
            if is_v1_token(channel_key):
                self._note_v1_token(channel_key)
        elif self._signed:
            raise UnauthorizedError("a signed capability token is required")
        elif scope == B2C and not self._open_withdrawals:
            raise UnauthorizedError("withdrawals need a token with the b2c scope")
        else:
            capability = Capability(channel_key, _OPEN_WITH_WITHDRAWALS if self._open_withdrawals else _OPEN)
        capability.require_scope(scope)
        return capability

    def _note_v1_token(self, token: str) -> None:
        """Counted and logged with its key id, so an operator can tell which backend still mints the old format."""
        logger.warning("deprecated_v1_token", kid=token.split(".")[1], accepted_until=V1_ACCEPTED_UNTIL.isoformat())
        if self._on_v1_token is not None:
            self._on_v1_token()

    def permit_push(self, capability: Capability, phone: object) -> None:
        capability.permit_push(phone, self._clock.now())

    def permit_withdrawal(self, capability: Capability, phone: object, amount: object) -> None:
        capability.permit_withdrawal(phone, amount, self._clock.now())

    def permit_read(self, capability: Capability) -> None:
        capability.require_live(self._clock.now())

    def seconds_left(self, capability: Capability) -> float | None:
        """How long a socket opened with `capability` may stay open; None when it never expires (open mode)."""
        if capability.expires_at is None:
            return None
        return max(0.0, (capability.expires_at - self._clock.now()).total_seconds())


async def refuse_unauthorised(socket: ClientConnection, channel_key: str, error: UnauthorizedError) -> None:
    """Close with 1008 right after the handshake, so a browser client can read why (a refused upgrade shows nothing)."""
    # The channel key may be a capability token, a secret: only a short hash of it is ever logged.
    fingerprint = hashlib.sha256(channel_key.encode()).hexdigest()[:16]
    logger.warning(
        "security_socket_refused", path=socket.path.rsplit("/", 1)[0], hash_sha256=fingerprint, reason=error.message
    )
    await socket.accept()
    await socket.close(code=CLOSE_POLICY_VIOLATION, reason=f"{UNAUTHORIZED_REASON}: {error.message}"[:120])
