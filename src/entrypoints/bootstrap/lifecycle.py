"""The one owner of what a process starts and stops: `serve` (as the Litestar lifespan), `worker`, and every CLI
command that touches the store or Daraja.

Two levels, because the embedded store and the bundled simulator must outlive the event loop that uses them:

- `local_services(settings)` (a plain context manager): with MONGODB_URL unset, the embedded store; in simulator
  mode with DARAJA_BASE_URL unset, the bundled simulator. It yields the settings that name them, from which the
  ApplicationContainer is built.
- `Lifecycle(container, ...)` (an async context manager): the store's client (and its migrations), Redis, Daraja's
  and the webhooks' HTTP clients, the channels (for a process without the Litestar app), the background loops and,
  for `serve`, the requests in flight. Started in that order, stopped in the reverse one, also when the block
  raises.
"""

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from types import TracebackType
from typing import Any, Protocol

import structlog

from entrypoints.bootstrap.containers import ApplicationContainer
from entrypoints.bootstrap.local_services import local_simulator, local_store
from entrypoints.settings import Settings
from migrations.runner import apply_migrations

logger = structlog.get_logger()


class BackgroundJob(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> None: ...


@contextmanager
def local_services(settings: Settings, *, simulator: bool = True, join_running: bool = False) -> Iterator[Settings]:
    """The embedded store and (with `simulator`) the bundled simulator, when the settings name neither; yields the
    settings that name what is used. `join_running` (the one-shot commands): use the store a gateway already runs on
    DATA_DIR rather than refusing."""
    with local_store(settings, join_running=join_running) as with_store:
        if not simulator:
            yield with_store
            return
        with local_simulator(with_store) as resolved:
            yield resolved


def background_jobs(container: ApplicationContainer) -> list[BackgroundJob]:
    """What runs beside the HTTP server (WORKER_ENABLED) and in `mpesa-gateway worker`."""
    settings = container.settings()
    jobs: list[BackgroundJob] = [
        container.b2c.worker(),
        container.reconciliation.reconciliation(),
        container.events.event_relay(),
        container.events.webhook_delivery(),
        container.c2b.c2b_expiry(),
        container.reversals.reversal_worker(),
    ]
    if settings.balance_check_interval_seconds > 0:
        jobs.append(container.balances.balance_schedule())
    if settings.c2b_pull_seconds > 0:
        jobs.append(container.c2b.c2b_pull())
    return jobs


async def stop_background(jobs: list[BackgroundJob], tasks: "list[asyncio.Task[None]]", grace_seconds: float) -> None:
    """Let each job finish what it is doing (a payout being sent must record Daraja's answer), within a bound."""
    for job in jobs:
        job.stop()
    if tasks:
        _, unfinished = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in unfinished:
            logger.warning("background_job_stopped_mid_step")
            task.cancel()


class Lifecycle:
    """Starts what `container` needs for a process, in order, and stops it in reverse.

    `background`: run the background loops (`serve` with WORKER_ENABLED, `worker`). `channels`: enter the channels
    plugin when Redis is configured (`worker`: its updates reach every gateway's clients through Redis; under
    `serve` the Litestar app runs the plugin itself). `requests`: on the way out, let the HTTP requests in flight
    finish first (`serve`)."""

    def __init__(
        self,
        container: ApplicationContainer,
        *,
        background: bool = False,
        channels: bool = False,
        requests: bool = False,
    ) -> None:
        self.container = container
        self._background, self._channels, self._requests = background, channels, requests
        self._stack = AsyncExitStack()
        self._jobs: list[BackgroundJob] = []
        self._tasks: list[asyncio.Task[None]] = []
        # The migration steps applied on the way in.
        self.applied: list[str] = []

    async def __aenter__(self) -> ApplicationContainer:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self.container

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def _start(self) -> None:
        container, settings, stack = self.container, self.container.settings(), self._stack
        infrastructure = container.infrastructure
        # Closed last: after the channels plugin stopped, nothing uses Redis any more.
        redis = infrastructure.redis_client()
        if redis is not None:
            stack.push_async_callback(redis.aclose)
        mongo = infrastructure.mongo_client()
        stack.push_async_callback(mongo.close)
        stack.push_async_callback(container.events.webhook_http_client().aclose)
        stack.push_async_callback(infrastructure.http_client().aclose)
        self.applied = await apply_migrations(infrastructure.mongo_database())
        if self._channels and redis is not None:
            await stack.enter_async_context(container.events.channels())
        if self._background:
            self._jobs = background_jobs(container)
            self._tasks = [asyncio.create_task(job.run()) for job in self._jobs]
            stack.push_async_callback(stop_background, self._jobs, self._tasks, settings.shutdown_grace_seconds)
        if self._requests:
            stack.push_async_callback(
                container.sockets.socket_limits().drain.finish_requests, settings.shutdown_grace_seconds
            )

    def stop(self) -> None:
        """Ask the background loops to stop (they finish the step they are in)."""
        for job in self._jobs:
            job.stop()

    async def run_until_stopped(self) -> None:
        """Run the background loops until SIGTERM or SIGINT (`worker`)."""
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, self.stop)
        await asyncio.gather(*self._tasks)

    def lifespan(self, _app: Any) -> AbstractAsyncContextManager[None]:
        """As a Litestar lifespan (`serve`)."""
        return self._as_lifespan()

    @asynccontextmanager
    async def _as_lifespan(self) -> AsyncIterator[None]:
        async with self:
            logger.info("migrations_applied", applied=self.applied)
            yield
