import structlog

from domain.access.api_key import ApiKey
from domain.access.ports import ApiKeys
from domain.shared.errors import ConcurrentUpdateError, NotFoundError
from domain.shared.ports import Clock

logger = structlog.get_logger()

# A key is written only when it is used (at most once a minute per gateway) or revoked: a few rounds always win.
_ATTEMPTS = 5


class RevokeApiKey:
    """Revoke a key for good; gateways stop taking it within their cache time (AuthenticateApiKey)."""

    def __init__(self, keys: ApiKeys, clock: Clock) -> None:
        self._keys, self._clock = keys, clock

    async def __call__(self, key_id: str) -> ApiKey:
        for _ in range(_ATTEMPTS):
            key = await self._keys.by_id(key_id)
            if key is None:
                raise NotFoundError(f"no API key {key_id}")
            if not key.active:
                return key
            key.revoke(self._clock.now())
            try:
                await self._keys.save(key)
            except ConcurrentUpdateError:
                continue
            logger.warning("api_key_revoked", api_key_id=key.key_id, name=key.name)
            return key
        raise ConcurrentUpdateError(f"API key {key_id} kept changing; try again")
