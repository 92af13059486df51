from datetime import datetime, timedelta

import structlog

from domain.access.api_key import ApiKey, PresentedKey
from domain.access.ports import ApiKeys
from domain.shared.errors import ConcurrentUpdateError, StoreUnavailableError, UnauthorizedError
from domain.shared.ports import Clock

logger = structlog.get_logger()

# How stale a key's "last used" time may be: a write per minute per gateway, not one per request.
LAST_USED_PRECISION = timedelta(minutes=1)
# Enough for every key a merchant holds; past it the cache starts over rather than grow.
_MOST_CACHED = 1_000


class AuthenticateApiKey:
    """The key a server request carries, or UnauthorizedError. One per process (it caches).

    A key found in the store is trusted for `cache_for` without asking the store again, so a revoked key stops
    working within that time on every gateway.
    """

    def __init__(self, keys: ApiKeys, clock: Clock, cache_for: timedelta) -> None:
        self._keys, self._clock, self._cache_for = keys, clock, cache_for
        self._cached: dict[str, tuple[ApiKey, datetime]] = {}

    async def __call__(self, presented_text: str) -> ApiKey:
        presented = PresentedKey.read(presented_text)
        if presented is None:
            raise UnauthorizedError("the API key is malformed: expected mgw_<key id>_<secret>")
        now = self._clock.now()
        key = await self._key(presented.key_id, now)
        if key is None or not key.opens_with(presented.secret):
            raise UnauthorizedError(f"API key {presented.key_id} is unknown or its secret is wrong")
        if not key.active:
            raise UnauthorizedError(f"API key {presented.key_id} has been revoked")
        await self._note_use(key, now)
        return key

    async def _key(self, key_id: str, now: datetime) -> ApiKey | None:
        cached = self._cached.get(key_id)
        if cached is not None and now - cached[1] < self._cache_for:
            return cached[0]
        key = await self._keys.by_id(key_id)
        if key is None:
            self._cached.pop(key_id, None)
            return None
        if len(self._cached) >= _MOST_CACHED:
            self._cached.clear()
        self._cached[key_id] = (key, now)
        return key

    async def _note_use(self, key: ApiKey, now: datetime) -> None:
        if key.last_used_at is not None and now - key.last_used_at < LAST_USED_PRECISION:
            return
        previous = key.last_used_at
        key.last_used_at = now
        try:
            await self._keys.save(key)
        except (ConcurrentUpdateError, StoreUnavailableError):
            # Changed elsewhere (perhaps revoked), or not written now: read it afresh next time. Only a note, so the
            # request it came with goes on.
            key.last_used_at = previous
            self._cached.pop(key.key_id, None)
