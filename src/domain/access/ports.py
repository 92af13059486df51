"""What the access use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from typing import Protocol

from domain.access.api_key import ApiKey


class ApiKeys(Protocol):
    """The stored API keys (their secrets' hashes only)."""

    @abstractmethod
    async def add(self, key: ApiKey) -> None:
        """Store a new key; its id is unique."""

    @abstractmethod
    async def by_id(self, key_id: str) -> ApiKey | None:
        """The key with this id, revoked or not."""

    @abstractmethod
    async def all(self) -> list[ApiKey]:
        """Every key, oldest first."""

    @abstractmethod
    async def save(self, key: ApiKey) -> None:
        """Store the changes if nobody changed the key since it was read, and bump its version;
        ConcurrentUpdateError otherwise."""
