from abc import abstractmethod
from typing import Protocol

from domain.received_callback import ReceivedCallback


class CallbackJournal(Protocol):
    """Every callback as received, append-only: entries are added, never changed or removed."""

    @abstractmethod
    async def record(self, callback: ReceivedCallback) -> str:
        """Append the callback and return its journal id; StoreUnavailableError when the store cannot be reached."""
