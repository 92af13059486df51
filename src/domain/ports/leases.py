from abc import abstractmethod
from datetime import datetime
from typing import Protocol


class Leases(Protocol):
    """Named, expiring claims shared by every instance: at most one holder of a name at a time."""

    @abstractmethod
    async def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take `name` (or extend it, when `owner` holds it already) until `until`; False when another holds it."""

    @abstractmethod
    async def release(self, name: str, owner: str) -> None:
        """Give `name` up if `owner` holds it."""
