"""Posting results to the caller's URLs the way Daraja does: later, unsigned, and without the request waiting.

Each accepted request schedules one background task. When it falls due it settles the outcome in the ledger
and only then posts, so by the time a callback arrives the STK Query / Transaction Status answers agree with
it. A failing delivery is logged and counted, never raised: it must not take the simulator down.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx
import msgspec
import structlog

from daraja_simulator.ledger import Ledger

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Post:
    url: str
    body: bytes

    @classmethod
    def json(cls, url: str, envelope: object) -> "Post":
        # Encoded once, so a scripted duplicate is byte-for-byte the same body.
        return cls(url, msgspec.json.encode(envelope))


# Runs when the delivery falls due: records the outcome, then says what to post (nothing, once or twice).
Settlement = Callable[[], Sequence[Post]]


class CallbackSender:
    def __init__(self, ledger: Ledger, verify_tls: bool, timeout_seconds: float = 10.0) -> None:
        self._ledger = ledger
        self._verify_tls = verify_tls
        self._timeout_seconds = timeout_seconds
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def scheduled(self) -> int:
        """Deliveries not finished yet; tests wait for 0 before asserting that nothing arrived."""
        return len(self._tasks)

    def schedule(self, delay_seconds: float, settle: Settlement) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(delay_seconds, settle))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def run(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` in the background like a delivery: counted as scheduled, cancelled by a reset."""
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def exchange(self, url: str, envelope: object, timeout_seconds: float) -> httpx.Response | None:
        """POST and wait at most `timeout_seconds` for the answer (a C2B validation); None when none came."""
        try:
            response = await self._http().post(
                url,
                content=msgspec.json.encode(envelope),
                headers={"Content-Type": "application/json"},
                timeout=timeout_seconds,
            )
        except httpx.HTTPError as error:
            self._ledger.callbacks_failed += 1
            logger.warning("simulator_callback_unanswered", url=url, error=repr(error))
            return None
        self._ledger.callbacks_sent += 1
        return response

    async def post_now(self, post: Post) -> None:
        await self._post(post)

    async def _guarded(self, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except Exception:
            logger.exception("simulator_delivery_crashed")

    def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def close(self) -> None:
        tasks = list(self._tasks)
        self.cancel_all()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        # Made on first use, inside the running loop, and shared by every delivery.
        if self._client is None:
            # No keep-alive: each callback is its own connection, as from Daraja, and an idle one never holds up
            # the receiver's shutdown.
            self._client = httpx.AsyncClient(
                verify=self._verify_tls,
                timeout=self._timeout_seconds,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        return self._client

    async def _deliver(self, delay_seconds: float, settle: Settlement) -> None:
        try:
            await asyncio.sleep(delay_seconds)
            for post in settle():
                await self._post(post)
        except Exception:
            logger.exception("simulator_delivery_crashed")

    async def _post(self, post: Post) -> None:
        try:
            response = await self._http().post(
                post.url, content=post.body, headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as error:
            self._ledger.callbacks_failed += 1
            logger.warning("simulator_callback_undelivered", url=post.url, error=repr(error))
            return
        self._ledger.callbacks_sent += 1
        if response.is_error:
            logger.warning("simulator_callback_refused", url=post.url, status=response.status_code)
