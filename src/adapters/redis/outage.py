import time
from collections.abc import Callable

import structlog

logger = structlog.get_logger()

FIRST_RETRY_SECONDS = 0.1
MAX_RETRY_SECONDS = 5.0


class RedisOutage:
    """What every Redis user of the process knows about Redis being away: when to try again (a bounded, doubling
    back-off) and one log line when it goes away and one when it is back, however many calls fail meanwhile.
    `on_recovery` is called when it is back: whatever crossed instances through Redis meanwhile may be lost."""

    def __init__(
        self,
        first_retry_seconds: float = FIRST_RETRY_SECONDS,
        max_retry_seconds: float = MAX_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        on_recovery: Callable[[], None] | None = None,
    ) -> None:
        self._first, self._max, self._clock = first_retry_seconds, max_retry_seconds, clock
        self._on_recovery = on_recovery
        self._failures = 0
        self._retry_at = 0.0

    @property
    def down(self) -> bool:
        return self._failures > 0

    def should_try(self) -> bool:
        """False while the back-off after the last failure lasts: callers use their fallback without waiting."""
        return self._clock() >= self._retry_at

    def failed(self, error: BaseException) -> float:
        """Record a failed call; the seconds to wait before the next attempt."""
        if self._failures == 0:
            logger.warning("redis_unreachable", error_type=type(error).__name__, error=str(error))
        self._failures += 1
        delay: float = min(self._max, self._first * 2 ** (self._failures - 1))
        self._retry_at = self._clock() + delay
        return delay

    def recovered(self) -> None:
        if not self._failures:
            return
        logger.info("redis_recovered", failed_calls=self._failures)
        self._failures, self._retry_at = 0, 0.0
        if self._on_recovery is not None:
            try:
                self._on_recovery()
            except Exception:  # the Redis call that noticed the recovery succeeded: it must not fail for this
                logger.exception("redis_recovery_listener_failed")
