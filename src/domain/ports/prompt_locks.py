from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from domain.phone import Phone


class PromptLocks(Protocol):
    """One lock per phone, held by the payment whose PIN prompt is open on it, so a phone has one prompt at a time."""

    @abstractmethod
    async def acquire(self, phone: Phone, holder: str, now: datetime, expires_at: datetime) -> datetime | None:
        """Take the phone's lock for `holder` until `expires_at`: None when taken, else when the present holder's lock
        expires. Atomic: of any number of concurrent calls, in one process or several, exactly one takes it. A lock
        past its expiry counts as free (again with one winner), so a holder that never releases blocks only so long."""

    @abstractmethod
    async def release(self, phone: Phone, holder: str) -> None:
        """Free the phone's lock if `holder` still holds it (a later holder's lock is left alone)."""
