import structlog

from domain.access.api_key import ApiKey, IssuedApiKey, key_name, key_scopes, key_text, secret_digest
from domain.access.ports import ApiKeys
from domain.shared.ports import Clock, KeyMaterial

logger = structlog.get_logger()


class CreateApiKey:
    """Issue a key: store the hash of its secret, hand the whole key out once."""

    def __init__(self, keys: ApiKeys, material: KeyMaterial, clock: Clock) -> None:
        self._keys, self._material, self._clock = keys, material, clock

    async def __call__(self, name: str, scopes: tuple[str, ...] = ()) -> IssuedApiKey:
        granted, named = key_scopes(scopes), key_name(name)
        key_id, secret = self._material.new_key_id(), self._material.new_key_secret()
        key = ApiKey(key_id, named, secret_digest(secret), self._clock.now(), scopes=granted)
        await self._keys.add(key)
        logger.info("api_key_created", api_key_id=key.key_id, name=key.name, scopes=sorted(granted))
        return IssuedApiKey(key, key_text(key_id, secret))
