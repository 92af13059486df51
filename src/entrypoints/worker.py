"""The B2C worker loop: sends queued withdrawals one at a time, inside `serve` or alone as `mpesa-gateway worker`."""

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from domain.b2c.withdrawal import Withdrawal
from domain.shared.errors import StoreUnavailableError
from entrypoints.idle_pause import IdlePause
from entrypoints.metrics import GatewayMetrics

logger = structlog.get_logger()

_BACKOFF_AFTER_FAULT_SECONDS = 2.0


class WithdrawalWorker:
    """Runs `submit_next` until the queue is empty, then waits for a wake-up or the next look (from `poll_seconds`
    up to `max_idle_seconds` while the queue stays empty: a withdrawal queued by another instance waits that long
    at most)."""

    def __init__(
        self,
        submit_next: Callable[[], Awaitable[Withdrawal | None]],
        poll_seconds: float,
        metrics: GatewayMetrics | None = None,
        max_idle_seconds: float | None = None,
    ) -> None:
        self._submit_next, self._metrics = submit_next, metrics
        self._pause = IdlePause(poll_seconds, max_idle_seconds if max_idle_seconds is not None else poll_seconds)
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """A withdrawal was just queued in this process: look now rather than at the next poll."""
        self._pause.wake()

    def stop(self) -> None:
        self._stopping.set()
        self._pause.wake()

    async def run(self) -> None:
        logger.info("worker_started")
        while not self._stopping.is_set():
            # Before looking, so a wake-up that arrives while a withdrawal is being sent is not lost.
            self._pause.looking()
            try:
                sent = await self._submit_next()
            except StoreUnavailableError:
                logger.warning("worker_waiting_for_store")
                await self._pause.wait(_BACKOFF_AFTER_FAULT_SECONDS)
                continue
            except Exception:
                # A store or provider fault must not kill the loop; the withdrawal's lease lets another worker retry.
                logger.exception("worker_step_failed")
                await self._pause.wait(_BACKOFF_AFTER_FAULT_SECONDS)
                continue
            if self._metrics is not None:
                self._metrics.loop_ran("worker")
                if sent is not None:
                    self._metrics.withdrawal_sent(sent.status.value)
            if sent is None:
                await self._pause.idle()
            else:
                self._pause.found_work()
        logger.info("worker_stopped")
