import asyncio
import time
from collections.abc import AsyncGenerator

import httpx
import structlog

from adapters.daraja.json_body import json_object
from adapters.daraja.retry_policy import RetryPolicy
from domain.shared.errors import ProviderRejectedError, ProviderUnreachableError

logger = structlog.get_logger()

# Daraja's answers for an expired or revoked token, by API family (docs/daraja.md#expired-tokens).
INVALID_TOKEN_CODES = frozenset({"404.001.03", "401.002.01", "400.003.01"})
OAUTH_PATH = "/oauth/v1/generate"
_REFRESH_MARGIN_SECONDS = 60
_DEFAULT_LIFETIME_SECONDS = 3599


class DarajaTokenAuth(httpx.Auth):
    """Bearer auth with one cached OAuth token: fetched once for concurrent callers, refreshed shortly before
    expiry, and refreshed once more when Daraja says the token is invalid (the business call is then retried once).

    Fetching a token is harmless to repeat, so a fetch that meets a transport fault, a 5xx, a 429 or a body that is
    not JSON is tried again per `retry`; a 4xx is Daraja refusing the consumer key and secret, and is final."""

    def __init__(
        self,
        token_client: httpx.AsyncClient,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._client, self._base_url = token_client, base_url.rstrip("/")
        self._basic = httpx.BasicAuth(consumer_key, consumer_secret)
        self._retry = retry if retry is not None else RetryPolicy()
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
            token, lifetime = await self._fetch_with_retries()
            self._token = token
            self._expires_at = time.monotonic() + max(lifetime - _REFRESH_MARGIN_SECONDS, 0)
            return token

    async def _fetch_with_retries(self) -> tuple[str, int]:
        for number in range(1, self._retry.attempts + 1):
            try:
                return await self._fetch()
            except ProviderUnreachableError as fault:
                # No business request has gone out yet, so nothing can have been paid.
                if number == self._retry.attempts:
                    raise
                delay = self._retry.delay_before_retry(number)
                logger.info("daraja_token_retry", attempt=number, error=str(fault), delay_ms=round(delay * 1000))
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _fetch(self) -> tuple[str, int]:
        try:
            response = await self._client.get(
                f"{self._base_url}{OAUTH_PATH}", params={"grant_type": "client_credentials"}, auth=self._basic
            )
        except httpx.HTTPError as fault:
            raise ProviderUnreachableError(f"could not obtain a Daraja token: {type(fault).__name__}") from fault
        body = json_object(response)
        token = body.get("access_token")
        if response.status_code == 200 and isinstance(token, str) and token:
            return token, _lifetime(body.get("expires_in"))
        if 400 <= response.status_code < 500 and response.status_code != 429:
            raise ProviderRejectedError(
                str(body.get("errorCode", f"HTTP {response.status_code}")), "Daraja refused the consumer key and secret"
            )
        raise ProviderUnreachableError(f"could not obtain a Daraja token: HTTP {response.status_code} without one")


def _lifetime(expires_in: object) -> int:
    # A string in practice, a number in the official sample (docs/daraja.md#authorization-tokens).
    try:
        return int(str(expires_in))
    except ValueError:
        return _DEFAULT_LIFETIME_SECONDS


def _says_token_invalid(response: httpx.Response) -> bool:
    if response.status_code not in (400, 401, 404):
        return False
    return json_object(response).get("errorCode") in INVALID_TOKEN_CODES
