"""The guard of every server-to-server route: `Authorization: Bearer <API key>`, or HTTP 401 UNAUTHORIZED.

It runs before the handler reads the request, so a refused request changes nothing and learns nothing from
parameter errors. Put `guards=[require_api_key]` on a controller or route; the app hands it `ServerCredentials`.
A route that needs more than every key may do takes `guards=[require_api_key_with(scope)]` instead.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import SecurityScheme

from domain.access.api_key import ApiKey, PresentedKey
from domain.access.use_cases.authenticate_api_key import AuthenticateApiKey
from domain.shared.errors import UnauthorizedError

logger = structlog.get_logger()

# How the OpenAPI document names the credential: put `security = API_KEY_SECURITY` beside the guard.
API_KEY_SCHEME = "apiKey"
API_KEY_SECURITY: list[dict[str, list[str]]] = [{API_KEY_SCHEME: []}]
API_KEY_SECURITY_SCHEME = SecurityScheme(
    type="http",
    scheme="bearer",
    bearer_format="mgw_<key id>_<secret>",
    description="An API key from `mpesa-gateway apikey create`, as `Authorization: Bearer <API key>`.",
)

# The key of the app's state under which create_app puts the provider of the process's one ServerCredentials.
SERVER_CREDENTIALS_STATE = "server_credentials"


class ServerCredentials:
    """API keys, required unless `keys_optional` (simulator only): then a request without any key passes too."""

    def __init__(self, authenticate: AuthenticateApiKey, *, keys_optional: bool) -> None:
        self._authenticate, self._keys_optional = authenticate, keys_optional

    async def admit(self, authorization: str | None) -> ApiKey | None:
        """The key the request carries (None when keyless requests are allowed and it carries none)."""
        if authorization is None:
            if self._keys_optional:
                return None
            raise UnauthorizedError("this route needs an API key: Authorization: Bearer <API key>")
        scheme, _, credential = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise UnauthorizedError("the Authorization header must be Bearer <API key>")
        return await self._authenticate(credential.strip())


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


async def require_api_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    await _admitted(connection)


def require_api_key_with(scope: str) -> Guard:
    """A guard that also wants `scope` on the key (keyless requests, where allowed, pass as they do everywhere)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        key = await _admitted(connection)
        if key is not None and not key.allows(scope):
            refusal = UnauthorizedError(f"this API key lacks the `{scope}` scope (mpesa-gateway apikey create --scope)")
            _log_refusal(connection, key.key_id, refusal)
            raise refusal

    return guard


async def _admitted(connection: ASGIConnection[Any, Any, Any, Any]) -> ApiKey | None:
    credentials: ServerCredentials = connection.app.state[SERVER_CREDENTIALS_STATE]()
    authorization = connection.headers.get("authorization")
    try:
        key = await credentials.admit(authorization)
    except UnauthorizedError as refusal:
        presented = PresentedKey.read((authorization or "").partition(" ")[2])
        _log_refusal(connection, None if presented is None else presented.key_id, refusal)
        raise
    if key is not None:
        structlog.contextvars.bind_contextvars(api_key_id=key.key_id)
    return key


def _log_refusal(
    connection: ASGIConnection[Any, Any, Any, Any], key_id: str | None, refusal: UnauthorizedError
) -> None:
    logger.warning(
        "security_api_key_refused",
        path=connection.url.path,
        source=connection.client.host if connection.client else None,
        api_key_id=key_id,
        reason=refusal.message,
    )
