"""When the reconciler looks again at a record whose outcome is still open: capped exponential back-off with jitter.

The defaults are the documented starting points the settings override:

- STK: Daraja suggests a first query ~20–30 s after the push, then back-off (docs/daraja.md#stk-push-query); the
  prompt's lifetime is undocumented (same section), so the query, not a guessed expiry, decides. First check 30 s
  after the push, then 30 s, 60 s, 120 s, … capped at 5 min, each ±20 %.
- B2C: a Result normally arrives within seconds; a Transaction Status query is only worth its Daraja call once that
  has had time. First check 60 s after the submission was recorded, or at once after a queue time-out notice (the
  outcome is unknown, docs/daraja.md#b2c-queue-time-out), then 60 s, 120 s, … capped at 5 min, each ±20 %.
- STUCK_AFTER: a record still open 15 min after it was created has had six STK queries (at 0.5, 1, 2, 4, 8 and
  13 min) or five Transaction Status queries without a final answer, far beyond any prompt lifetime seen or a normal
  B2C round trip: an operator should look at it. Records no query can settle (an STK push whose answer was lost,
  so it has no CheckoutRequestID) only ever leave through their callback, and show up here too.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

STK_FIRST_CHECK_AFTER = timedelta(seconds=30)
B2C_FIRST_CHECK_AFTER = timedelta(seconds=60)
MAX_CHECK_DELAY = timedelta(minutes=5)
BACKOFF_FACTOR = 2.0
JITTER = 0.2
STUCK_AFTER = timedelta(minutes=15)

# Beyond this many doublings every delay is at the cap anyway; it keeps the power finite.
_LONGEST_EXPONENT = 32


@dataclass(frozen=True, slots=True)
class CheckSchedule:
    """The delay before check number `attempts + 1`: `base` × `factor`^attempts, capped at `maximum`, then spread by
    ±`jitter` so records that became due together do not stay in lock-step across reconcilers."""

    base: timedelta
    maximum: timedelta = MAX_CHECK_DELAY
    factor: float = BACKOFF_FACTOR
    jitter: float = JITTER

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.maximum < self.base:
            raise ValueError(f"a check schedule needs 0 < base <= maximum, not {self.base}, {self.maximum}")
        if self.factor < 1:
            raise ValueError(f"a back-off factor below 1 would shrink the delays: {self.factor}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"the jitter is a fraction in [0, 1): {self.jitter}")

    def delay(self, attempts: int, spread: float) -> timedelta:
        """`spread`, in [-1, 1], is the random draw: -1 shortens by the whole jitter, 1 lengthens by it."""
        if not -1 <= spread <= 1:
            raise ValueError(f"the spread is in [-1, 1], not {spread}")
        grown = self.base.total_seconds() * self.factor ** min(max(attempts, 0), _LONGEST_EXPONENT)
        capped = min(grown, self.maximum.total_seconds())
        return timedelta(seconds=capped * (1 + self.jitter * spread))

    def next_check(self, now: datetime, attempts: int, spread: float) -> datetime:
        return now + self.delay(attempts, spread)
