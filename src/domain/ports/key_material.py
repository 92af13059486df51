from abc import abstractmethod
from typing import Protocol


class KeyMaterial(Protocol):
    """Randomness for API keys, injected so tests are deterministic."""

    @abstractmethod
    def new_key_id(self) -> str:
        """16 lowercase hex digits: how a key is named in lists and logs."""

    @abstractmethod
    def new_key_secret(self) -> str:
        """64 lowercase hex digits (256 random bits): the part of a key only its holder knows."""
