from abc import abstractmethod
from typing import Protocol


class RandomSource(Protocol):
    """Randomness for jitter, injected so tests are deterministic; `random.Random()` is one."""

    @abstractmethod
    def uniform(self, a: float, b: float) -> float:
        """A random number between `a` and `b`."""
