"""A background loop for the event relay and the webhook deliverer: a step runs again at once while it finds work
(for a step that works in batches, while it finds full batches); otherwise it waits longer each time, up to a cap,
unless woken (entrypoints.idle_pause). Inside `serve` (WORKER_ENABLED) and in `mpesa-gateway worker` alike."""

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from domain.shared.errors import StoreUnavailableError
from entrypoints.idle_pause import IdlePause
from entrypoints.metrics import GatewayMetrics

logger = structlog.get_logger()

_PAUSE_AFTER_FAULT_SECONDS = 2.0


class PollingLoop:
    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        pause: IdlePause,
        metrics: GatewayMetrics | None = None,
        before_first: Callable[[], Awaitable[None]] | None = None,
        after_last: Callable[[], Awaitable[None]] | None = None,
        on_work: Callable[[], None] | None = None,
        full_batch: int = 1,
        gather_seconds: float = 0.0,
    ) -> None:
        """`step` answers how much it did (0: nothing waiting); `pause` is its wait between looks, which whoever
        makes work for it may wake; `before_first` runs once, retried until it works; `after_last` runs once when
        the loop stops; `on_work` is told when a step did something; a step that did less than `full_batch` found
        all there was, so the loop waits (or is woken) before the next; after each wait it lets the work of a burst
        gather for `gather_seconds`, so one step takes many at once."""
        self._name, self._step, self._pause, self._metrics = name, step, pause, metrics
        self._before_first, self._after_last, self._on_work = before_first, after_last, on_work
        self._full_batch, self._gather_seconds = full_batch, gather_seconds
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """This process just made work for the step: run it now rather than at the next look."""
        self._pause.wake()

    def stop(self) -> None:
        self._stopping.set()
        self._pause.wake()

    async def run(self) -> None:
        logger.info(f"{self._name}_started")
        while not self._stopping.is_set():
            self._pause.looking()
            try:
                if self._before_first is not None:
                    await self._before_first()
                    self._before_first = None
                done = await self._step()
            except StoreUnavailableError:
                logger.warning(f"{self._name}_waiting_for_store")
                await self._pause.wait(_PAUSE_AFTER_FAULT_SECONDS)
                continue
            except Exception:
                logger.exception(f"{self._name}_step_failed")
                await self._pause.wait(_PAUSE_AFTER_FAULT_SECONDS)
                continue
            if self._metrics is not None:
                self._metrics.loop_ran(self._name)
            if done > 0:
                self._pause.found_work()
                if self._on_work is not None:
                    self._on_work()
            if done < self._full_batch:
                await self._pause.idle()
                if self._gather_seconds > 0 and not self._stopping.is_set():
                    await asyncio.sleep(self._gather_seconds)
        if self._after_last is not None:
            try:
                await self._after_last()
            except Exception:
                logger.warning(f"{self._name}_stop_step_failed", exc_info=True)
        logger.info(f"{self._name}_stopped")
