"""Whether Daraja (the simulator or Safaricom) answers now: an OAuth token can be had. Cached, so /ready stays cheap
and probes never flood Daraja's OAuth endpoint."""

import asyncio
import time

import httpx
import structlog

from adapters.daraja.token_auth import OAUTH_PATH

logger = structlog.get_logger()

_CACHE_SECONDS = 10.0
_TIMEOUT_SECONDS = 3.0


class DarajaHealth:
    """`check()` asks Daraja for a token at most once per `cache_seconds` and answers from the cache in between;
    concurrent probes share one request. Logs only when the answer changes."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        cache_seconds: float = _CACHE_SECONDS,
        timeout_seconds: float = _TIMEOUT_SECONDS,
    ) -> None:
        self._http, self._url = http, f"{base_url.rstrip('/')}{OAUTH_PATH}"
        self._basic = httpx.BasicAuth(consumer_key, consumer_secret)
        self._cache_seconds, self._timeout = cache_seconds, timeout_seconds
        self._lock = asyncio.Lock()
        self._up: bool | None = None
        self._checked_at = float("-inf")

    async def check(self) -> bool:
        async with self._lock:
            if self._up is not None and time.monotonic() - self._checked_at < self._cache_seconds:
                return self._up
            up = await self._ask()
            if up != self._up:
                (logger.info if up else logger.warning)("daraja_up" if up else "daraja_down")
            self._up, self._checked_at = up, time.monotonic()
            return up

    async def _ask(self) -> bool:
        try:
            response = await self._http.get(
                self._url, params={"grant_type": "client_credentials"}, auth=self._basic, timeout=self._timeout
            )
            body = response.json() if response.status_code == 200 else {}
        except Exception:  # unreachable, timed out, or not JSON: Daraja cannot be used now
            return False
        return isinstance(body, dict) and bool(body.get("access_token"))
