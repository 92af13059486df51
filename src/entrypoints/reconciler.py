"""The reconciliation loop: asks Daraja about payments and withdrawals whose outcome is overdue."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from domain.errors import StoreUnavailableError
from entrypoints.metrics import GatewayMetrics

logger = structlog.get_logger()

_BATCH = 50
_PAUSE_AFTER_FAULT_SECONDS = 2.0

Reconcile = Callable[[int], Awaitable[int]]


class ReconciliationLoop:
    """Runs every reconciler until none has a full batch left, then waits `poll_seconds` (the most a due check is
    late). Safe on every instance at once: each record is claimed by a versioned save before Daraja is asked."""

    def __init__(
        self,
        reconcilers: list[Reconcile],
        poll_seconds: float,
        metrics: GatewayMetrics | None = None,
        kinds: list[str] | None = None,
    ) -> None:
        """`kinds` names each reconciler (`stk`, `b2c`) in the metrics."""
        self._reconcilers, self._poll_seconds, self._metrics = reconcilers, poll_seconds, metrics
        self._kinds = kinds if kinds is not None else [str(number) for number in range(len(reconcilers))]
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        logger.info("reconciler_started")
        while not self._stopping.is_set():
            try:
                busy = [
                    await self._round(kind, reconcile) >= _BATCH
                    for kind, reconcile in zip(self._kinds, self._reconcilers, strict=True)
                ]
            except StoreUnavailableError:
                logger.warning("reconciler_waiting_for_store")
                await self._pause(_PAUSE_AFTER_FAULT_SECONDS)
                continue
            except Exception:
                logger.exception("reconciler_round_failed")
                await self._pause(_PAUSE_AFTER_FAULT_SECONDS)
                continue
            if self._metrics is not None:
                self._metrics.loop_ran("reconciler")
            if not any(busy):
                await self._pause(self._poll_seconds)
        logger.info("reconciler_stopped")

    async def _round(self, kind: str, reconcile: Reconcile) -> int:
        checked = await reconcile(_BATCH)
        if self._metrics is not None:
            self._metrics.reconciled(kind, checked)
        return checked

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
