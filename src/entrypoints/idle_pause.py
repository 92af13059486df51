"""How long a background loop waits before it looks for work again.

A loop that finds nothing waits twice as long each time, from its poll interval up to IDLE_POLL_MAX_SECONDS; one
that finds work looks again at once and starts over from its poll interval. Work this process creates itself (a
withdrawal queued, a record changed) wakes the loop at once, so only work created by another instance waits for
the next look: at most IDLE_POLL_MAX_SECONDS (docs/performance.md: the idle process).
"""

import asyncio
import contextlib


class IdlePause:
    def __init__(self, first_seconds: float, max_seconds: float) -> None:
        self._first = first_seconds
        self._max = max(first_seconds, max_seconds)
        self._next = first_seconds
        self._woken = asyncio.Event()

    @property
    def next_seconds(self) -> float:
        """The wait the next `idle()` takes, unless woken."""
        return self._next

    def wake(self) -> None:
        """Work was just created in this process: end the current wait (or skip the next) and start over."""
        self._next = self._first
        self._woken.set()

    def looking(self) -> None:
        """Called before each look: a wake-up that arrives while the loop looks is kept for the next wait."""
        self._woken.clear()

    def found_work(self) -> None:
        self._next = self._first

    async def idle(self) -> None:
        """Nothing was found: wait (until woken), and wait longer next time, up to the cap."""
        seconds, self._next = self._next, min(self._next * 2, self._max)
        await self.wait(seconds)

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), seconds)
