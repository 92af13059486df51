"""The scheduled balance check: a background loop (inside `serve` with WORKER_ENABLED, and in `mpesa-gateway
worker`) that sleeps until the next check is due, asks, and sleeps again. The due time comes from the store (the
last check any instance made), and a lease keeps several instances from asking at once."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from domain.errors import ProviderUnavailableError, StoreUnavailableError
from entrypoints.metrics import GatewayMetrics

logger = structlog.get_logger()

_AFTER_FAULT_SECONDS = 30.0
# Never asleep longer than this: a lease holder that stopped is replaced, and a changed schedule noticed, in time.
_LONGEST_SLEEP_SECONDS = 300.0


class BalanceSchedule:
    def __init__(
        self,
        check_when_due: Callable[[], Awaitable[timedelta]],
        step_down: Callable[[], Awaitable[None]],
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._check_when_due, self._step_down, self._metrics = check_when_due, step_down, metrics
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        logger.info("balance_schedule_started")
        while not self._stopping.is_set():
            try:
                wait = min((await self._check_when_due()).total_seconds(), _LONGEST_SLEEP_SECONDS)
            except (StoreUnavailableError, ProviderUnavailableError) as fault:
                logger.warning("balance_schedule_waiting", reason=fault.message)
                wait = _AFTER_FAULT_SECONDS
            except Exception:
                logger.exception("balance_schedule_step_failed")
                wait = _AFTER_FAULT_SECONDS
            else:
                if self._metrics is not None:
                    self._metrics.loop_ran("balance_schedule")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=max(wait, 0.05))
        try:
            await self._step_down()
        except Exception:
            logger.warning("balance_schedule_stop_step_failed", exc_info=True)
        logger.info("balance_schedule_stopped")
