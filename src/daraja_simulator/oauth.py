"""Daraja's Authorization API: client-credentials tokens over HTTP Basic (docs/daraja.md#authorization-tokens)."""

import base64
import binascii
import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from daraja_simulator.errors import DarajaError
from daraja_simulator.identifiers import access_token
from daraja_simulator.state import SimulatorState


@get("/oauth/v1/generate")
async def generate_token(
    request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]
) -> Response[dict[str, object]]:
    scheme, _, encoded = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise DarajaError(400, "400.008.01", "Invalid Authentication passed")
    if request.query_params.get("grant_type") != "client_credentials":
        raise DarajaError(400, "400.008.02", "Invalid grant type passed")
    if not _is_known_app(encoded.strip(), simulator):
        # Real Daraja answers HTTP 400 here with an undocumented body (docs/daraja.md#authorization-tokens); the
        # generic error shape stands in.
        raise DarajaError(400, "400.003.02", "Bad Request")
    token = access_token()
    simulator.ledger.issue_token(token, simulator.config.token_ttl)
    # expires_in is a string in practice, though the official sample shows a number: both forms can be sent.
    ttl = simulator.config.token_ttl
    expires_in = ttl if simulator.forms.pick().expires_in == "number" else str(ttl)
    return Response({"access_token": token, "expires_in": expires_in}, status_code=200)


def _is_known_app(encoded: str, simulator: SimulatorState) -> bool:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    key, separator, secret = decoded.partition(":")
    config = simulator.config
    return bool(separator) and (
        hmac.compare_digest(key.encode(), config.consumer_key.encode())
        & hmac.compare_digest(secret.encode(), config.consumer_secret.encode())
    )
