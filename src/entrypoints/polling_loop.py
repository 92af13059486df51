"""A background loop for the event relay and the webhook deliverer: a step runs again at once while it finds work,
and every `poll_seconds` otherwise. Inside `serve` (WORKER_ENABLED) and in `mpesa-gateway worker` alike."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from domain.errors import StoreUnavailableError
from entrypoints.metrics import GatewayMetrics

logger = structlog.get_logger()

_PAUSE_AFTER_FAULT_SECONDS = 2.0


class PollingLoop:
    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        poll_seconds: float,
        metrics: GatewayMetrics | None = None,
        before_first: Callable[[], Awaitable[None]] | None = None,
        after_last: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`step` answers how much it did (0: nothing waiting); `before_first` runs once, retried until it works;
        `after_last` runs once when the loop stops."""
        self._name, self._step, self._poll_seconds, self._metrics = name, step, poll_seconds, metrics
        self._before_first, self._after_last = before_first, after_last
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        logger.info(f"{self._name}_started")
        while not self._stopping.is_set():
            try:
                if self._before_first is not None:
                    await self._before_first()
                    self._before_first = None
                busy = await self._step() > 0
            except StoreUnavailableError:
                logger.warning(f"{self._name}_waiting_for_store")
                await self._pause(_PAUSE_AFTER_FAULT_SECONDS)
                continue
            except Exception:
                logger.exception(f"{self._name}_step_failed")
                await self._pause(_PAUSE_AFTER_FAULT_SECONDS)
                continue
            if self._metrics is not None:
                self._metrics.loop_ran(self._name)
            if not busy:
                await self._pause(self._poll_seconds)
        if self._after_last is not None:
            try:
                await self._after_last()
            except Exception:
                logger.warning(f"{self._name}_stop_step_failed", exc_info=True)
        logger.info(f"{self._name}_stopped")

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
