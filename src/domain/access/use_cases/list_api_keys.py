from domain.access.api_key import ApiKey
from domain.access.ports import ApiKeys


class ListApiKeys:
    def __init__(self, keys: ApiKeys) -> None:
        self._keys = keys

    async def __call__(self) -> list[ApiKey]:
        return await self._keys.all()
