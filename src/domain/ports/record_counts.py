from abc import abstractmethod
from typing import Protocol


class RecordCounts(Protocol):
    """How many payments and withdrawals are in each state right now (for monitoring; cheap, index-backed)."""

    @abstractmethod
    async def payments_by_status(self) -> dict[str, int]:
        """Every payment status, with the number of payments in it (zero included)."""

    @abstractmethod
    async def withdrawals_by_status(self) -> dict[str, int]:
        """Every withdrawal status, with the number of withdrawals in it (zero included)."""
