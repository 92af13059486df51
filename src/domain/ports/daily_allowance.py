from abc import abstractmethod
from typing import Protocol


class DailyAllowance(Protocol):
    """The per-hash daily withdrawal total, reserved atomically so concurrent requests cannot pass it together."""

    @abstractmethod
    async def reserve(self, hash_: str, day: str, amount: int, limit: int) -> bool:
        """Add `amount` to the hash's total for `day` (YYYY-MM-DD, Nairobi) if it stays within `limit`."""

    @abstractmethod
    async def release(self, hash_: str, day: str, amount: int) -> None:
        """Give back a reservation whose withdrawal paid nothing (rejected or failed)."""
