"""When a failed webhook delivery is tried again, and when the gateway stops trying and disables the endpoint.

The wait before attempt n+1 is drawn between half and all of `base · 2^(n-1)`, capped at `maximum` ("equal
jitter"): instances retrying at once spread out, and every wait is at least half the exponential step, so a
receiver that is down is never hammered. Tries continue while the endpoint has been failing for less than
`give_up_after` (WEBHOOK_RETRY_HOURS); the first failure past it disables the endpoint.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.shared.ports import RandomSource


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    base: timedelta
    maximum: timedelta
    give_up_after: timedelta

    def ceiling(self, failures: int) -> timedelta:
        """The longest wait after `failures` consecutive failures (1 for the first)."""
        doubled = self.base * (1 << min(max(failures, 1) - 1, 40))
        return min(doubled, self.maximum)

    def wait(self, failures: int, random: RandomSource) -> timedelta:
        ceiling = self.ceiling(failures).total_seconds()
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))

    def gives_up(self, failing_since: datetime, now: datetime) -> bool:
        return now - failing_since >= self.give_up_after
