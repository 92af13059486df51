"""A background loop for work that falls due on a schedule (the balance check, the C2B Pull reconciliation): inside
`serve` with WORKER_ENABLED, and in `mpesa-gateway worker`. It sleeps until the next due time its step answers,
runs the step, and sleeps again; the step keeps several instances from doing the work at once (a lease)."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from domain.shared.errors import ProviderUnavailableError, StoreUnavailableError
from entrypoints.metrics import GatewayMetrics

logger = structlog.get_logger()

_AFTER_FAULT_SECONDS = 30.0
# Never asleep longer than this: a lease holder that stopped is replaced, and a changed schedule noticed, in time.
_LONGEST_SLEEP_SECONDS = 300.0


class DueLoop:
    def __init__(
        self,
        name: str,
        run_when_due: Callable[[], Awaitable[timedelta]],
        step_down: Callable[[], Awaitable[None]],
        metrics: GatewayMetrics | None = None,
    ) -> None:
        """`run_when_due` does the work if it is due and answers how long until it is due next; `step_down` runs
        once when the loop stops (to give its lease up)."""
        self._name, self._run_when_due, self._step_down, self._metrics = name, run_when_due, step_down, metrics
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        logger.info(f"{self._name}_started")
        while not self._stopping.is_set():
            try:
                wait = min((await self._run_when_due()).total_seconds(), _LONGEST_SLEEP_SECONDS)
            except (StoreUnavailableError, ProviderUnavailableError) as fault:
                logger.warning(f"{self._name}_waiting", reason=fault.message)
                wait = _AFTER_FAULT_SECONDS
            except Exception:
                logger.exception(f"{self._name}_step_failed")
                wait = _AFTER_FAULT_SECONDS
            else:
                if self._metrics is not None:
                    self._metrics.loop_ran(self._name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=max(wait, 0.05))
        try:
            await self._step_down()
        except Exception:
            logger.warning(f"{self._name}_stop_step_failed", exc_info=True)
        logger.info(f"{self._name}_stopped")
