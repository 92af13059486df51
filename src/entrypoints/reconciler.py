"""The reconciliation loop: asks Daraja about payments and withdrawals whose outcome is overdue."""

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from domain.shared.errors import StoreUnavailableError
from entrypoints.idle_pause import IdlePause
from entrypoints.metrics import GatewayMetrics

logger = structlog.get_logger()

_BATCH = 50
_PAUSE_AFTER_FAULT_SECONDS = 2.0

Reconcile = Callable[[int], Awaitable[int]]


class ReconciliationLoop:
    """Runs every reconciler until none has a full batch left, then waits `poll_seconds`, and longer (up to
    `max_idle_seconds`, the most a due check is late) while rounds find nothing to check. Safe on every instance at
    once: each record is claimed by a versioned save before Daraja is asked."""

    def __init__(
        self,
        reconcilers: list[Reconcile],
        poll_seconds: float,
        metrics: GatewayMetrics | None = None,
        kinds: list[str] | None = None,
        max_idle_seconds: float | None = None,
    ) -> None:
        """`kinds` names each reconciler (`stk`, `b2c`) in the metrics."""
        self._reconcilers, self._metrics = reconcilers, metrics
        self._kinds = kinds if kinds is not None else [str(number) for number in range(len(reconcilers))]
        self._pause = IdlePause(poll_seconds, max_idle_seconds if max_idle_seconds is not None else poll_seconds)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._pause.wake()

    async def run(self) -> None:
        logger.info("reconciler_started")
        while not self._stopping.is_set():
            self._pause.looking()
            try:
                checked = [
                    await self._round(kind, reconcile)
                    for kind, reconcile in zip(self._kinds, self._reconcilers, strict=True)
                ]
            except StoreUnavailableError:
                logger.warning("reconciler_waiting_for_store")
                await self._pause.wait(_PAUSE_AFTER_FAULT_SECONDS)
                continue
            except Exception:
                logger.exception("reconciler_round_failed")
                await self._pause.wait(_PAUSE_AFTER_FAULT_SECONDS)
                continue
            if self._metrics is not None:
                self._metrics.loop_ran("reconciler")
            if any(count >= _BATCH for count in checked):
                continue
            if any(checked):
                self._pause.found_work()
                await self._pause.wait(self._pause.next_seconds)
            else:
                await self._pause.idle()
        logger.info("reconciler_stopped")

    async def _round(self, kind: str, reconcile: Reconcile) -> int:
        checked = await reconcile(_BATCH)
        if self._metrics is not None:
            self._metrics.reconciled(kind, checked)
        return checked
