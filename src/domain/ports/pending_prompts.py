from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from domain.phone import Phone


class PendingPrompts(Protocol):
    """The STK prompts still open on a phone."""

    @abstractmethod
    async def latest_pending(self, phone: Phone, since: datetime) -> datetime | None:
        """When the newest payment to `phone` created after `since` and still pending was created; None if none."""
