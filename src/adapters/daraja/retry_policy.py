import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a call that is harmless to repeat (OAuth, queries) is tried, and how long to wait in between:
    capped exponential back-off with jitter, so many gateways retrying at once do not march in step."""

    attempts: int = 3
    first_delay: float = 0.25
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_delay < 0 or self.max_delay < self.first_delay:
            raise ValueError("a retry policy needs attempts >= 1 and 0 <= first_delay <= max_delay")

    def delay_before_retry(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first): between half and all of the capped
        exponential step."""
        step = min(self.max_delay, self.first_delay * 2 ** (retry - 1))
        return random.uniform(step / 2, step)
