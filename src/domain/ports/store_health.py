from abc import abstractmethod
from typing import Protocol


class StoreHealth(Protocol):
    @abstractmethod
    async def check(self) -> bool:
        """True when the store answers within a short time; False otherwise, never an exception."""
