"""A load generator: a process of its own, told what to do over a local control port (bench/control.py).

`python -m bench.loadgen --port P` listens on 127.0.0.1:P for one JSON line per command and answers each with one
JSON line. Every loop here is bounded by a deadline and by a count; the process exits when its controller goes
away or after --max-seconds, whichever comes first, so a crashed orchestrator never leaves it behind.
"""

import argparse
import asyncio
import contextlib
import json
import os
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import websockets
from websockets.asyncio.client import ClientConnection

from bench.control import LINE_LIMIT
from bench.http_client import HttpConnection
from bench.measure import raise_open_files_limit

REPLY_TIMEOUT = 10.0
# A latency recorded for a request that got no answer in time, so it is never silently dropped from percentiles.
NO_ANSWER_MS = REPLY_TIMEOUT * 1000
_MAX_LOOP = 10_000_000  # no loop here runs more often than this, whatever its deadline says
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


def is_update(frame: str | bytes) -> bool:
    """Topic updates start with their kind (the servers encode `kind` first); replies never do."""
    head = frame[:24] if isinstance(frame, str) else frame[:24].decode(errors="replace")
    return '"kind":"update"' in head


def now_ns() -> int:
    """CLOCK_MONOTONIC: one clock for every process on this machine, so stamps from two processes compare."""
    return time.monotonic_ns()


async def sleep_until(deadline_ns: int) -> None:
    delay = (deadline_ns - now_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


def push_message(phone: int, amount: int) -> str:
    return json.dumps(
        {"kind": "push", "payload": {"phone": f"2547{phone:08d}", "amount": amount, "description": "bench"}}
    )


@dataclass
class ActiveSocket:
    connection: ClientConnection
    path: str
    checkout: str | None = None


@dataclass
class Subscriber:
    connection: ClientConnection
    path: str
    replies: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    reader: asyncio.Task[None] | None = None


class LoadGenerator:
    def __init__(self, source_address: str | None = None) -> None:
        # Each load generator connects from its own loopback address, as clients on separate machines would, so the
        # gateway's per-address limits apply per load generator, not to the whole load at once.
        self.local_addr = None if source_address is None else (source_address, 0)
        self.held: list[ClientConnection] = []
        self.active: list[ActiveSocket] = []
        self.probes: dict[str, ActiveSocket] = {}
        self.subscribers: list[Subscriber] = []
        self.received: dict[str, int] = {}
        self._tls: dict[str, ssl.SSLContext] = {}

    def tls(self, ca: str) -> ssl.SSLContext:
        if ca not in self._tls:
            self._tls[ca] = ssl.create_default_context(cafile=ca)
        return self._tls[ca]

    async def _connect(self, url: str, ca: str, compression: bool, open_seconds: float) -> ClientConnection:
        return await websockets.connect(
            url,
            ssl=self.tls(ca),
            compression="deflate" if compression else None,
            ping_interval=None,  # browsers don't ping; the server's own keepalive pings still run
            max_size=None,
            open_timeout=open_seconds,
            close_timeout=2,
            local_addr=self.local_addr,
        )

    async def _open_many(
        self, url: str, paths: list[str], ca: str, compression: bool, concurrency: int, open_seconds: float
    ) -> tuple[list[tuple[str, ClientConnection]], list[str]]:
        slots = asyncio.Semaphore(concurrency)

        async def one(path: str) -> tuple[str, ClientConnection]:
            async with slots:
                return path, await self._connect(url + path, ca, compression, open_seconds)

        outcomes = await asyncio.gather(*(one(path) for path in paths), return_exceptions=True)
        opened = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
        failed = [repr(outcome) for outcome in outcomes if not isinstance(outcome, tuple)]
        return opened, failed

    # Idle sockets -----------------------------------------------------------------------------------------

    async def hold(
        self,
        url: str,
        paths: list[str],
        ca: str,
        compression: bool = True,
        concurrency: int = 50,
        open_seconds: float = 60,
    ) -> dict[str, Any]:
        """Open one idle socket per path and keep it open until `release`."""
        started = time.perf_counter()
        opened, failed = await self._open_many(url, paths, ca, compression, concurrency, open_seconds)
        self.held.extend(connection for _, connection in opened)
        deflate = sum(
            "permessage-deflate" in (connection.response.headers.get("Sec-WebSocket-Extensions") or "")
            for _, connection in opened
            if connection.response is not None
        )
        return {
            "opened": len(opened),
            "failed": len(failed),
            "errors": failed[:5],
            "deflate": deflate,
            "seconds": time.perf_counter() - started,
            "held": len(self.held),
            "still_open": sum(connection.state is websockets.State.OPEN for connection in self.held),
        }

    async def release(self, concurrency: int = 200) -> dict[str, Any]:
        held, self.held = self.held, []
        open_before = sum(connection.state is websockets.State.OPEN for connection in held)
        slots = asyncio.Semaphore(concurrency)

        async def close(connection: ClientConnection) -> None:
            async with slots:
                await connection.close()

        await asyncio.gather(*(close(connection) for connection in held), return_exceptions=True)
        return {"closed": len(held), "open_before": open_before}

    # The status probe -------------------------------------------------------------------------------------

    async def probe_open(self, url: str, path: str, ca: str, phone: int) -> dict[str, Any]:
        """A socket whose hash has one payment, so `status` reads a stored record."""
        connection = await self._connect(url + path, ca, True, REPLY_TIMEOUT)
        await connection.send(push_message(phone, 9100))
        reply = await self._reply(connection)
        checkout = reply["data"]["checkout"] if reply.get("ok") else None
        self.probes[url] = ActiveSocket(connection, path, checkout)
        return {"checkout": checkout, "reply_ok": bool(reply.get("ok"))}

    async def probe(self, url: str, count: int, interval: float) -> dict[str, Any]:
        """`count` status round trips one after another, `interval` seconds apart: their latencies in ms."""
        probe = self.probes[url]
        message = json.dumps({"kind": "status", "payload": {"checkout": probe.checkout}})
        latencies, errors = [], 0
        for _ in range(min(count, 10_000)):
            started = time.perf_counter()
            try:
                await probe.connection.send(message)
                reply = await self._reply(probe.connection)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not reply.get("ok")
            except (TimeoutError, websockets.ConnectionClosed):
                latencies.append(NO_ANSWER_MS)
                errors += 1
            await asyncio.sleep(interval)
        return {"latencies_ms": latencies, "errors": errors}

    async def probe_close(self, url: str) -> None:
        probe = self.probes.pop(url, None)
        if probe is not None:
            await probe.connection.close()

    async def _reply(self, connection: ClientConnection, seconds: float = REPLY_TIMEOUT) -> dict[str, Any]:
        """The next frame that is not a topic update."""
        deadline = time.monotonic() + seconds
        for _ in range(_MAX_LOOP):
            frame = await asyncio.wait_for(connection.recv(), max(deadline - time.monotonic(), 0.001))
            if not is_update(frame):
                reply: dict[str, Any] = _decode(frame)
                return reply
        raise TimeoutError("no reply")

    # Active sockets: status and push loops ----------------------------------------------------------------

    async def open_active(
        self, url: str, paths: list[str], ca: str, compression: bool = True, open_seconds: float = 30
    ) -> dict[str, Any]:
        opened, failed = await self._open_many(url, paths, ca, compression, 50, open_seconds)
        self.active.extend(ActiveSocket(connection, path) for path, connection in opened)
        return {"opened": len(opened), "failed": len(failed), "errors": failed[:5]}

    async def prepare_status(self, phone_base: int) -> dict[str, Any]:
        """One payment on each active socket's hash, for `run_status` to read."""

        async def one(index: int, socket: ActiveSocket) -> bool:
            await socket.connection.send(push_message(phone_base + index, 9100))
            reply = await self._reply(socket.connection)
            socket.checkout = reply["data"]["checkout"] if reply.get("ok") else None
            return socket.checkout is not None

        outcomes = await asyncio.gather(*(one(i, s) for i, s in enumerate(self.active)), return_exceptions=True)
        return {"prepared": sum(outcome is True for outcome in outcomes), "sockets": len(self.active)}

    async def run_status(self, start_ns: int, duration: float) -> dict[str, Any]:
        """Every active socket asks for its payment's status, one request at a time, for `duration` seconds."""

        async def worker(socket: ActiveSocket) -> tuple[list[float], Counter[str]]:
            message = json.dumps({"kind": "status", "payload": {"checkout": socket.checkout}})
            return await self._closed_loop(socket.connection, lambda _: message, start_ns, duration)

        return self._merge(await asyncio.gather(*(worker(socket) for socket in self.active)), start_ns)

    async def run_push(
        self, start_ns: int, duration: float, phone_base: int, amount: int, rate: float | None = None
    ) -> dict[str, Any]:
        """Pushes from every active socket, one in flight per socket: as fast as answered (`rate` None), or paced
        at `rate` per second in all (latency then counts from the scheduled time, so waiting for a free socket
        counts too)."""
        phones = iter(range(phone_base, phone_base + 10_000_000))
        if rate is None:

            async def closed(socket: ActiveSocket) -> tuple[list[float], Counter[str]]:
                return await self._closed_loop(
                    socket.connection, lambda _: push_message(next(phones), amount), start_ns, duration
                )

            outcomes = await asyncio.gather(*(closed(socket) for socket in self.active))
        else:
            tickets = iter(range(int(rate * duration)))

            async def paced(socket: ActiveSocket) -> tuple[list[float], Counter[str]]:
                latencies: list[float] = []
                outcomes: Counter[str] = Counter()
                for ticket in tickets:
                    scheduled = start_ns + int(ticket * 1e9 / rate)
                    await sleep_until(scheduled)
                    outcome = await self._round_trip(socket.connection, push_message(next(phones), amount))
                    latencies.append((now_ns() - scheduled) / 1e6 if outcome != "timeout" else NO_ANSWER_MS)
                    outcomes[outcome] += 1
                return latencies, outcomes

            outcomes = await asyncio.gather(*(paced(socket) for socket in self.active))
        return self._merge(outcomes, start_ns)

    async def _closed_loop(
        self, connection: ClientConnection, message: Callable[[int], str], start_ns: int, duration: float
    ) -> tuple[list[float], Counter[str]]:
        await sleep_until(start_ns)
        deadline = start_ns + int(duration * 1e9)
        latencies: list[float] = []
        outcomes: Counter[str] = Counter()
        for index in range(_MAX_LOOP):
            if now_ns() >= deadline:
                break
            sent = now_ns()
            outcome = await self._round_trip(connection, message(index))
            latencies.append((now_ns() - sent) / 1e6 if outcome != "timeout" else NO_ANSWER_MS)
            outcomes[outcome] += 1
            if outcome in ("timeout", "closed"):
                break
        return latencies, outcomes

    async def _round_trip(self, connection: ClientConnection, message: str) -> str:
        """Send one request and wait for its reply: "ok", the error code, "timeout" or "closed"."""
        try:
            await connection.send(message)
            reply = await self._reply(connection)
        except TimeoutError:
            return "timeout"
        except websockets.ConnectionClosed:
            return "closed"
        if reply.get("ok"):
            return "ok"
        return str((reply.get("error") or {}).get("code", "error"))

    @staticmethod
    def _merge(outcomes: list[tuple[list[float], Counter[str]]], start_ns: int) -> dict[str, Any]:
        latencies: list[float] = []
        counts: Counter[str] = Counter()
        for worker_latencies, worker_counts in outcomes:
            latencies.extend(worker_latencies)
            counts.update(worker_counts)
        return {
            "latencies_ms": latencies,
            "outcomes": dict(counts),
            "ok": counts["ok"],
            "seconds": (now_ns() - start_ns) / 1e9,
        }

    async def close_active(self) -> dict[str, Any]:
        active, self.active = self.active, []
        await asyncio.gather(*(socket.connection.close() for socket in active), return_exceptions=True)
        return {"closed": len(active)}

    # HTTP pushes --------------------------------------------------------------------------------------------

    async def run_http_push(
        self,
        host: str,
        port: int,
        ca: str,
        path: str,
        connections: int,
        start_ns: int,
        duration: float,
        phone_base: int,
        amount: int,
        hash_prefix: str,
        rate: float | None = None,
    ) -> dict[str, Any]:
        """POST pushes over `connections` keep-alive connections, one request in flight on each."""
        pool = [HttpConnection(host, port, self.tls(ca), REPLY_TIMEOUT, self.local_addr) for _ in range(connections)]
        await asyncio.gather(*(connection.connect() for connection in pool))
        phones = iter(range(phone_base, phone_base + 10_000_000))
        tickets = iter(range(int(rate * duration))) if rate is not None else None

        def body(index: int) -> bytes:
            phone = next(phones)
            return _encode(
                {"phone": f"2547{phone:08d}", "amount": amount, "description": "bench", "hash": f"{hash_prefix}{index}"}
            )

        async def one(connection: HttpConnection, index: int) -> str:
            try:
                status, _ = await connection.post(path, body(index))
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                return "timeout"
            return "ok" if status == 201 else f"http_{status}"

        async def worker(index: int, connection: HttpConnection) -> tuple[list[float], Counter[str]]:
            latencies: list[float] = []
            outcomes: Counter[str] = Counter()
            if tickets is None:
                await sleep_until(start_ns)
                deadline = start_ns + int(duration * 1e9)
                for _ in range(_MAX_LOOP):
                    if now_ns() >= deadline:
                        break
                    sent = now_ns()
                    outcome = await one(connection, index)
                    latencies.append((now_ns() - sent) / 1e6 if outcome != "timeout" else NO_ANSWER_MS)
                    outcomes[outcome] += 1
            else:
                assert rate is not None
                for ticket in tickets:
                    scheduled = start_ns + int(ticket * 1e9 / rate)
                    await sleep_until(scheduled)
                    outcome = await one(connection, index)
                    latencies.append((now_ns() - scheduled) / 1e6 if outcome != "timeout" else NO_ANSWER_MS)
                    outcomes[outcome] += 1
            return latencies, outcomes

        try:
            outcomes = await asyncio.gather(*(worker(i, connection) for i, connection in enumerate(pool)))
        finally:
            await asyncio.gather(*(connection.close() for connection in pool))
        return self._merge(outcomes, start_ns)

    # Callbacks to clients -----------------------------------------------------------------------------------

    async def subscribe(self, url: str, paths: list[str], ca: str, compression: bool = True) -> dict[str, Any]:
        """Sockets that stamp the arrival of every final update (by CheckoutRequestID) with CLOCK_MONOTONIC."""
        opened, failed = await self._open_many(url, paths, ca, compression, 50, 30)
        for path, connection in opened:
            subscriber = Subscriber(connection, path)
            subscriber.reader = asyncio.create_task(self._read_updates(subscriber))
            self.subscribers.append(subscriber)
        return {"opened": len(opened), "failed": len(failed), "errors": failed[:5]}

    async def _read_updates(self, subscriber: Subscriber) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in subscriber.connection:
                arrived = now_ns()
                message = _decode(frame)
                if message.get("kind") == "update":
                    data = message.get("data") or {}
                    if data.get("status") != "pending" and data.get("checkout"):
                        self.received.setdefault(data["checkout"], arrived)
                else:
                    subscriber.replies.put_nowait(message)

    async def create_pushes(self, count: int, phone_base: int, amount: int) -> dict[str, Any]:
        """`count` pushes spread over the subscribed sockets (one in flight on each): the payments created."""
        tickets = iter(range(count))
        payments: list[dict[str, Any]] = []
        outcomes: Counter[str] = Counter()

        async def worker(subscriber: Subscriber) -> None:
            for ticket in tickets:
                await subscriber.connection.send(push_message(phone_base + ticket, amount))
                try:
                    reply = await asyncio.wait_for(subscriber.replies.get(), REPLY_TIMEOUT)
                except TimeoutError:
                    outcomes["timeout"] += 1
                    continue
                if reply.get("ok"):
                    data = reply["data"]
                    payments.append(
                        {
                            "path": subscriber.path,
                            "checkout": data["checkout"],
                            "merchant_request": data["merchant_request"],
                            "phone": data["phone"],
                            "amount": data["amount"],
                        }
                    )
                    outcomes["ok"] += 1
                else:
                    outcomes[str((reply.get("error") or {}).get("code", "error"))] += 1

        await asyncio.gather(*(worker(subscriber) for subscriber in self.subscribers))
        return {"payments": payments, "outcomes": dict(outcomes)}

    async def collect(self, keys: list[str], wait: float) -> dict[str, Any]:
        """When each of `keys` arrived (CLOCK_MONOTONIC ns), waiting at most `wait` seconds for the last ones."""
        wanted = set(keys)
        deadline = time.monotonic() + wait
        for _ in range(_MAX_LOOP):
            if time.monotonic() >= deadline or wanted <= self.received.keys():
                break
            await asyncio.sleep(0.05)
        return {"arrived": {key: self.received[key] for key in wanted if key in self.received}}

    async def unsubscribe(self) -> dict[str, Any]:
        subscribers, self.subscribers = self.subscribers, []
        await asyncio.gather(*(s.connection.close() for s in subscribers), return_exceptions=True)
        for subscriber in subscribers:
            if subscriber.reader is not None:
                subscriber.reader.cancel()
        self.received.clear()
        return {"closed": len(subscribers)}

    async def post_callbacks(
        self, host: str, port: int, ca: str, items: list[dict[str, str]], rate: float, start_ns: int, connections: int
    ) -> dict[str, Any]:
        """POST item i's body to its path at `start_ns` + i / `rate`, stamping when it was written."""
        pool = [HttpConnection(host, port, self.tls(ca), REPLY_TIMEOUT, self.local_addr) for _ in range(connections)]
        await asyncio.gather(*(connection.connect() for connection in pool))
        requests = [(item["key"], pool[0].request_bytes(item["path"], item["body"].encode())) for item in items]
        tickets = iter(range(len(requests)))
        sent: dict[str, int] = {}
        statuses: Counter[str] = Counter()
        behind_ms = 0.0

        async def worker(connection: HttpConnection) -> None:
            nonlocal behind_ms
            for ticket in tickets:
                scheduled = start_ns + int(ticket * 1e9 / rate)
                await sleep_until(scheduled)
                key, request = requests[ticket]
                stamp = now_ns()
                behind_ms = max(behind_ms, (stamp - scheduled) / 1e6)
                try:
                    await connection.send(request)
                    sent[key] = stamp
                    status, _ = await connection.response()
                    statuses[str(status)] += 1
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                    statuses["timeout"] += 1

        try:
            await asyncio.gather(*(worker(connection) for connection in pool))
        finally:
            await asyncio.gather(*(connection.close() for connection in pool))
        stamps = sorted(sent.values())
        return {
            "sent": sent,
            "statuses": dict(statuses),
            "first_ns": stamps[0] if stamps else start_ns,
            "last_ns": stamps[-1] if stamps else start_ns,
            "behind_max_ms": behind_ms,
        }


Command = Callable[..., Awaitable[Any]]


async def serve(port: int, max_seconds: float, source_address: str | None) -> None:
    generator = LoadGenerator(source_address)
    commands: dict[str, Command] = {
        name: getattr(generator, name)
        for name in (
            "hold",
            "release",
            "probe_open",
            "probe",
            "probe_close",
            "open_active",
            "prepare_status",
            "run_status",
            "run_push",
            "close_active",
            "run_http_push",
            "subscribe",
            "create_pushes",
            "collect",
            "unsubscribe",
            "post_callbacks",
        )
    }
    finished = asyncio.Event()

    async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        commanded = False  # readiness checks connect and leave without a word; they don't end the process
        try:
            for _ in range(_MAX_LOOP):
                line = await reader.readline()
                if not line:
                    break
                request = json.loads(line)
                commanded = True
                try:
                    answer = {"result": await commands[request["command"]](**request["arguments"])}
                except Exception as error:
                    answer = {"error": f"{type(error).__name__}: {error}"}
                writer.write(_encode(answer) + b"\n")
                await writer.drain()
        finally:
            writer.close()
            if commanded:
                finished.set()  # the orchestrator is gone (or done): so is this process

    server = await asyncio.start_server(control, "127.0.0.1", port, limit=LINE_LIMIT)
    async with server:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(finished.wait(), max_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("--source-address", help="the loopback address to connect from, e.g. 127.0.0.12")
    arguments = parser.parse_args()
    raise_open_files_limit()
    import uvloop

    uvloop.run(serve(arguments.port, arguments.max_seconds, arguments.source_address))
    os._exit(0)  # don't wait for sockets the orchestrator no longer cares about


if __name__ == "__main__":
    main()
