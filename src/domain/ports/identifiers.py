from abc import abstractmethod
from typing import Protocol


class Identifiers(Protocol):
    @abstractmethod
    def new_id(self) -> str:
        """A new, unique payment id that may be shown to clients."""

    @abstractmethod
    def new_secret(self) -> str:
        """A new unguessable, URL-safe token that is never shown to clients."""
