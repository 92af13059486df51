"""One client socket: subscribe it to its topic, answer its frames, close it when idle."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, cast

import msgspec
import structlog
from litestar.channels import ChannelsPlugin

from domain.shared.errors import DomainError, RateLimitedError
from domain.shared.resume_cursor import BEGINNING, CaughtUp, ResumeCursor, SendUpdate
from entrypoints.metrics import GatewayMetrics
from entrypoints.protocol.errors import error_reply, internal_error, ok_reply
from entrypoints.protocol.messages import ClientMessage, decode_document, read_envelope, usable_ref
from entrypoints.ws.authorisation import EXPIRED_REASON
from entrypoints.ws.client_connection import ClientConnection
from entrypoints.ws.drain import CLOSE_GOING_AWAY
from entrypoints.ws.resume_point import CLOSE_POLICY_VIOLATION
from entrypoints.ws.sent_versions import SentVersions
from entrypoints.ws.socket_guard import CLOSE_TRY_AGAIN_LATER, RATE_LIMITED_REASON
from entrypoints.ws.socket_limits import SocketLimits

logger = structlog.get_logger()

# The socket's catch-up: sends each missed update through the callable it is given, resuming after the cursor the
# socket's previous catch-up handed back (None for its first).
Missed = Callable[[SendUpdate, ResumeCursor | None], Awaitable[CaughtUp]]


class SocketRequests(Protocol):
    """What one socket's client may ask and what it missed: one small object per socket (its capability), whose
    `kinds` are its class's, shared by every socket of an endpoint, rather than a closure per kind per socket."""

    @property
    def kinds(self) -> frozenset[str]: ...

    async def answer(self, kind: str, message: ClientMessage) -> Mapping[str, Any]: ...

    async def missed(self, send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp: ...


class _SendsOnDemand(Protocol):
    """The channels plugin's subscriber (adapters/broadcast/on_demand_subscriber.py, wired by the container)."""

    def send_to(self, on_event: Callable[[bytes], Awaitable[Any]]) -> None: ...


CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED_DATA = 1003
# Enough for a client to pipeline a few requests; past it the socket stops reading until one finishes.
_MAX_IN_FLIGHT = 8
_encoder = msgspec.json.Encoder()


class ClientSocket:
    """Serialises sends, because replies and topic updates are written from different tasks."""

    __slots__ = (
        "_cursor", "_lock", "_missed", "_sent_versions", "_slots", "_socket", "_tells_cursor", "_topic",
        "closed_with", "heard_at", "open"
    )  # fmt: skip

    def __init__(self, socket: ClientConnection) -> None:
        self._socket, self._lock = socket, asyncio.Lock()
        self.open = True
        self.closed_with: int | None = None  # the code this side closed the socket with
        self._slots: asyncio.Semaphore | None = None  # the requests in flight; made by the first request
        self._sent_versions: SentVersions | None = None  # made by the first update: an idle socket has none
        # Its catch-up, read again after a Redis outage from where the last one left off.
        self._topic, self._tells_cursor = "", False
        self._missed: Missed = _nothing_missed
        self._cursor: ResumeCursor | None = None
        self.heard_at = 0.0  # loop time of the client's last frame (IdleSweep)

    async def take_slot(self) -> None:
        """Wait while `_MAX_IN_FLIGHT` of the socket's requests are being answered."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(_MAX_IN_FLIGHT)
        await self._slots.acquire()

    def give_slot_back(self, _: object = None) -> None:
        if self._slots is not None:
            self._slots.release()

    async def send(self, frame: bytes) -> None:
        if not self.open:
            return
        async with self._lock:
            try:
                await self._socket.send_text(frame)
            except Exception:  # the peer went away between the check and the write: nothing left to tell it
                self.open = False

    async def send_update(self, frame: bytes) -> None:
        """Send an update of a record unless this socket was already sent that state of it or a newer one."""
        if self._sent_versions is None:
            self._sent_versions = SentVersions()
        if self._sent_versions.admit(frame):
            await self.send(frame)

    def catch_up_on(self, topic: str, missed: Missed, tells_cursor: bool) -> None:
        self._topic, self._missed, self._tells_cursor = topic, missed, tells_cursor

    async def catch_up(self) -> None:
        """Send what the socket's catch-up reads from the store, then (to a client that resumes by cursor, or
        whenever more was left than one connection is sent) a `caught_up` with the cursor to resume after."""
        topic = self._topic

        async def send(data: Mapping[str, Any]) -> None:
            await self.send_update(_encoder.encode({"kind": "update", "topic": topic, "data": data}))

        try:
            caught_up = await self._missed(send, self._cursor)
        except DomainError as error:
            # The socket still works without its catch-up (the store may be down); `status` reads any payment later.
            logger.warning("ws_catch_up_skipped", code=error.code.value)
            return
        self._cursor = caught_up.cursor
        if self._tells_cursor or not caught_up.complete:
            await self.send(_encoder.encode(caught_up_message(topic, caught_up)))
        logger.info("ws_catch_up", updates=caught_up.updates, complete=caught_up.complete)

    async def catch_up_again(self) -> None:
        """Send what the socket's catch-up reads now from the store that it was not sent yet (StoreResync)."""
        await self.catch_up()

    async def close(self, code: int, reason: str) -> None:
        if not self.open:
            return
        async with self._lock:
            self.open, self.closed_with = False, code
            try:
                await self._socket.close(code=code, reason=reason)
            except Exception:  # already closed by the peer
                return


async def run_session(
    socket: ClientConnection,
    topic: str,
    requests: SocketRequests,
    channels: ChannelsPlugin,
    limits: SocketLimits,
    lifetime: float | None = None,
    tells_cursor: bool = False,
) -> None:
    """Serve one client: subscribe it to `topic`, send it what it `missed` (and, if it `tells_cursor`, where to
    resume after), then answer its frames until it leaves (or, after `lifetime` seconds, its token expires).

    One coroutine, no context manager and no task for an idle socket: each frame kept alive for the socket's whole
    life is memory per socket (docs/performance.md, "Memory per socket")."""
    drain = limits.drain
    if drain.draining:
        await socket.close(code=CLOSE_GOING_AWAY, reason="server shutting down")
        return
    guard, address = limits.guard, socket.client_host
    try:
        guard.open(topic, address)
    except RateLimitedError as over_cap:
        await _refuse_over_cap(socket, topic, over_cap)
        return
    client: ClientSocket | None = None
    close_code: int | None = None
    metrics = limits.metrics
    endpoint = _endpoint_of(socket)
    started = time.perf_counter()
    expiry: asyncio.TimerHandle | None = None
    # Unbound by name at the end rather than reset by tokens: the socket's task binds nothing else, and no tokens are
    # kept for its whole life.
    structlog.contextvars.bind_contextvars(connection=uuid.uuid4().hex[:12], topic=topic)
    try:
        await socket.accept()
        client = ClientSocket(socket)
        drain.register(client)
        # After a Redis outage the store is read again: what crossed instances through Redis may have been lost.
        client.catch_up_on(topic, requests.missed, tells_cursor)
        limits.resync.register(client)
        if metrics is not None:
            metrics.socket_opened(endpoint)
        logger.info("ws_connected")
        expiry = _close_at_expiry(client, lifetime)
        client.heard_at = asyncio.get_running_loop().time()
        limits.idle.watch(client)
        subscriber = await channels.subscribe([topic])
        try:
            cast("_SendsOnDemand", subscriber).send_to(client.send_update)
            # Subscribed first, so nothing that changes while the missed updates are read can slip between.
            await client.catch_up()
            while True:
                event = await socket.receive()
                if event["type"] == "websocket.disconnect":
                    close_code = client.closed_with or (
                        CLOSE_GOING_AWAY if drain.draining else event.get("code", CLOSE_NORMAL)
                    )
                    break
                client.heard_at = asyncio.get_running_loop().time()
                text = event.get("text")
                if not isinstance(text, str):
                    close_code = CLOSE_UNSUPPORTED_DATA
                    await client.close(CLOSE_UNSUPPORTED_DATA, "only text JSON frames are accepted")
                    break
                refusal: RateLimitedError | None = None
                try:
                    await guard.message(topic, address)
                except RateLimitedError as error:
                    refusal = error
                await client.take_slot()
                # A request outlives its socket: a push already sent to Daraja must still record Daraja's ids.
                task = asyncio.create_task(_answer(client, text, requests, metrics, refusal))
                drain.track(task)
                task.add_done_callback(client.give_slot_back)
        finally:
            await channels.unsubscribe(subscriber, [topic])
    finally:
        if client is not None:
            if expiry is not None:
                expiry.cancel()
            limits.idle.forget(client)
            client.open = False
            drain.unregister(client)
            limits.resync.unregister(client)
            if metrics is not None:
                metrics.socket_closed(endpoint)
            logger.info("ws_closed", code=close_code, duration_s=round(time.perf_counter() - started, 3))
        structlog.contextvars.unbind_contextvars("connection", "topic")
        guard.close(topic, address)


async def _refuse_over_cap(socket: ClientConnection, topic: str, refusal: RateLimitedError) -> None:
    """Close with 1013 right after the handshake, so a browser client can read why (a refused upgrade shows nothing)."""
    logger.warning("ws_refused_rate_limited", topic=topic, reason=refusal.message)
    await socket.accept()
    reason = f"{RATE_LIMITED_REASON}: {refusal.message}; retry after {refusal.retry_after} s"
    await socket.close(code=CLOSE_TRY_AGAIN_LATER, reason=reason[:120])


# The closes begun by expiry timers: the loop keeps only weak references to tasks.
_expiring: set[asyncio.Task[None]] = set()


def _close_at_expiry(client: ClientSocket, lifetime: float | None) -> asyncio.TimerHandle | None:
    """Close the socket with 1008 the moment its token expires, so it hears nothing after: a timer of its own (the
    idle sweep's tick would be seconds late), for sockets whose token expires."""
    return None if lifetime is None else asyncio.get_running_loop().call_later(lifetime, _expire, client)


def _expire(client: ClientSocket) -> None:
    logger.info("ws_token_expired")
    task = asyncio.get_running_loop().create_task(client.close(CLOSE_POLICY_VIOLATION, EXPIRED_REASON))
    _expiring.add(task)
    task.add_done_callback(_expiring.discard)


def caught_up_message(topic: str, caught_up: CaughtUp) -> dict[str, Any]:
    data = {"cursor": caught_up.cursor.encode(), "updates": caught_up.updates, "complete": caught_up.complete}
    return {"kind": "caught_up", "topic": topic, "data": data}


async def _nothing_missed(_: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
    return CaughtUp(cursor or BEGINNING, 0, complete=True)


def _endpoint_of(socket: ClientConnection) -> str:
    """`stk` or `b2c`, from the path `/mpesa/{endpoint}/{hash}`: a bounded metrics label, never the hash."""
    parts = socket.path.split("/")
    return parts[2] if len(parts) > 2 else "other"


def _record_ids(data: Any) -> dict[str, Any]:
    """The payment's or withdrawal's id of an ok reply, so the request's log line joins the record's own lines."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return {}
    key = "withdrawal_id" if "originator_conversation_id" in data else "payment_id"
    return {key: data["id"]}


async def _answer(
    client: ClientSocket,
    text: str,
    requests: SocketRequests,
    metrics: GatewayMetrics | None = None,
    refusal: RateLimitedError | None = None,
) -> None:
    started = time.perf_counter()
    kind, ref = "error", None
    try:
        document = decode_document(text)
        ref = usable_ref(document)
        kinds = requests.kinds
        if isinstance(document.get("kind"), str) and document["kind"] in kinds:
            kind = document["kind"]
        if refusal is not None:
            raise refusal
        message = read_envelope(document, kinds)
        reply = ok_reply(kind, ref, await requests.answer(kind, message))
    except DomainError as error:
        reply = error_reply(kind, ref, error)
    except Exception:
        logger.exception("ws_message_failed", kind=kind)
        reply = error_reply(kind, ref, internal_error())
    await client.send(_encoder.encode(reply))
    code = None if reply["ok"] else reply["error"]["code"]
    if metrics is not None:
        metrics.message_answered(kind, code or "ok")
    logger.info(
        "ws_message",
        kind=kind,
        ok=reply["ok"],
        code=code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        **_record_ids(reply.get("data") if reply["ok"] else None),
    )
