import asyncio
import time
from collections.abc import AsyncGenerator

import httpx
import structlog

from adapters.daraja.json_body import json_object
from domain.errors import ProviderRejectedError, ProviderUnreachableError

logger = structlog.get_logger()

# Daraja's answers for an expired or revoked token, by API family (DARAJA.md §7, pitfall 7).
INVALID_TOKEN_CODES = frozenset({"404.001.03", "401.002.01", "400.003.01"})
_REFRESH_MARGIN_SECONDS = 60


class DarajaTokenAuth(httpx.Auth):
    """Bearer auth with one cached OAuth token: fetched once for concurrent callers, refreshed shortly before
    expiry, and refreshed once more when Daraja says the token is invalid (the business call is then retried once)."""

    def __init__(self, token_client: httpx.AsyncClient, base_url: str, consumer_key: str, consumer_secret: str) -> None:
        self._client, self._base_url = token_client, base_url.rstrip("/")
        self._basic = httpx.BasicAuth(consumer_key, consumer_secret)
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._current_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        await response.aread()
        if _says_token_invalid(response):
            logger.info("daraja_token_rejected", refreshing=True)
            request.headers["Authorization"] = f"Bearer {await self._current_token(stale=token)}"
            yield request

    async def _current_token(self, stale: str | None = None) -> str:
        async with self._lock:
            if self._token is not None and self._token != stale and time.monotonic() < self._expires_at:
                return self._token
            try:
                response = await self._client.get(
                    f"{self._base_url}/oauth/v1/generate", params={"grant_type": "client_credentials"}, auth=self._basic
                )
            except httpx.HTTPError as fault:
                # No business request has gone out yet, so nothing can have been paid.
                raise ProviderUnreachableError(f"could not obtain a Daraja token: {type(fault).__name__}") from fault
            body = json_object(response)
            if response.status_code != 200 or not isinstance(body.get("access_token"), str):
                raise ProviderRejectedError(
                    str(body.get("errorCode", f"HTTP {response.status_code}")),
                    "Daraja refused the consumer key and secret",
                )
            self._token = body["access_token"]
            lifetime = int(str(body.get("expires_in", "3599")))
            self._expires_at = time.monotonic() + max(lifetime - _REFRESH_MARGIN_SECONDS, 0)
            return self._token


def _says_token_invalid(response: httpx.Response) -> bool:
    if response.status_code not in (400, 401, 404):
        return False
    return json_object(response).get("errorCode") in INVALID_TOKEN_CODES
