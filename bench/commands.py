"""Store commands per operation (`python -m bench --only commands`), counted by the gateway itself.

The gateway runs with STORE_COMMAND_METRICS on: its driver counts every command it sends, by command name and
collection, in `mpesa_store_commands_total` (its own /metrics reads are counted apart). Each operation is made
`count` times at once, on sockets opened beforehand, and the counts read before and after, once the gateway has
gone quiet (its event relay and webhook deliverer finish what the operation woke them for):

- an STK push → its success callback → the final `update` on the socket;
- a B2C withdrawal → the worker sends it → the simulator's Result → the final `update`;
- `status` of a stored payment;
- a socket opened on a hash with one payment (its catch-up), and closed;
- a C2B confirmation (Daraja's body, to the confirmation hook) counted on the payment request it names.

Daraja sends each callback on its own: the bench posts them on CALLBACK_CONNECTIONS connections at once, not one
after another on one.

For these the gateway's loops look only when woken by the work (their poll intervals set to an hour), so no idle
look falls into an operation's window. The idle process is measured on a second gateway with every setting at its
default: commands per second over a fixed window, after a settling time.
"""

import asyncio
import contextlib
import json
import re
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from bench.http_client import HttpConnection

Counts = Counter[tuple[str, str]]
_SAMPLE = re.compile(r'^mpesa_store_commands_total\{collection="([^"]*)",command="([^"]*)"\} ([0-9.e+]+)$', re.M)
QUIET_POLLS = 3  # the counts unchanged over this many reads, QUIET_INTERVAL apart, is "quiet"
QUIET_INTERVAL = 0.4
REPLY_TIMEOUT = 30.0
FINAL_STK = frozenset({"success", "failed", "cancelled", "timeout"})
FINAL_B2C = frozenset({"success", "failed", "rejected"})
CPU_SETTLE_SECONDS = 1.0
WITHDRAWAL_AMOUNT = 100  # the simulator's default B2C scenario: a successful Result
CALLBACK_CONNECTIONS = 10
C2B_HOOK_SECRET = "bench-c2b-hook-secret-0123456789abcdef"  # noqa: S105 (the bench's own gateway only)
C2B_AMOUNT = 250

# Loops that look only when woken: an operation's window holds its own commands and nothing else.
WOKEN_ONLY = {
    "WORKER_POLL_SECONDS": "3600",
    "RECONCILE_POLL_SECONDS": "3600",
    "WEBHOOK_POLL_SECONDS": "3600",
    "IDLE_POLL_MAX_SECONDS": "3600",
}


def parse_counts(exposition: str) -> Counts:
    counts: Counts = Counter()
    for collection, command, value in _SAMPLE.findall(exposition):
        counts[(command, collection)] = round(float(value))
    return counts


class CommandMeter:
    def __init__(self, port: int, tls: ssl.SSLContext) -> None:
        self._client = httpx.AsyncClient(base_url=f"https://127.0.0.1:{port}", verify=tls, timeout=30.0)

    async def close(self) -> None:
        await self._client.aclose()

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self._client.post(path, json=body)

    async def counts(self) -> Counts:
        answer = await self._client.get("/metrics")
        answer.raise_for_status()
        return parse_counts(answer.text)

    async def quiet(self, limit_seconds: float = 30.0) -> Counts:
        """The counts once they stop moving (the relay and deliverer have done what they were woken for)."""
        last, same, deadline = await self.counts(), 0, time.monotonic() + limit_seconds
        while same < QUIET_POLLS and time.monotonic() < deadline:
            await asyncio.sleep(QUIET_INTERVAL)
            now = await self.counts()
            same = same + 1 if now == last else 0
            last = now
        return last


def per_operation(before: Counts, after: Counts, operations: int, seconds: float) -> dict[str, Any]:
    delta = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
    total = sum(delta.values())
    return {
        "operations": operations,
        "seconds": round(seconds, 2),
        "commands": total,
        "per_operation": total / operations if operations else None,
        "breakdown": {
            f"{command} {collection}": count / operations
            for (command, collection), count in sorted(delta.items(), key=lambda item: -item[1])
        },
    }


async def _measured(
    meter: CommandMeter, operations: int, work: Callable[[], Awaitable[None]], cpu: Callable[[], float]
) -> dict[str, Any]:
    """The commands of `operations` operations, and the gateway's CPU time for them: from the start of the work
    to a second after it (the relay and deliverer it woke), before the counts are read again."""
    before = await meter.quiet()
    began, cpu_before = time.monotonic(), cpu()
    await work()
    await asyncio.sleep(CPU_SETTLE_SECONDS)
    cpu_used = cpu() - cpu_before
    after = await meter.quiet()
    result = per_operation(before, after, operations, time.monotonic() - began)
    result["gateway_cpu_ms_per_operation"] = cpu_used * 1000 / operations
    return result


async def _next_update(connection: ClientConnection, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + REPLY_TIMEOUT
    while True:
        frame = json.loads(await asyncio.wait_for(connection.recv(), max(deadline - time.monotonic(), 0.001)))
        if done(frame):
            return dict(frame)


def _reply(frame: dict[str, Any]) -> bool:
    return frame.get("kind") != "update"


def _update(frame: dict[str, Any]) -> bool:
    return frame.get("kind") == "update"


async def operations(
    *,
    port: int,
    tls: ssl.SSLContext,
    count: int,
    prefix: str,
    phone_base: int,
    tokens: Callable[[list[str]], Awaitable[dict[str, str]]],
    success_body: Callable[[str, str, float, str], dict[str, Any]],
    cpu: Callable[[], float],
) -> dict[str, Any]:
    """Commands per operation on a gateway whose loops look only when woken (WOKEN_ONLY)."""
    wss = f"wss://127.0.0.1:{port}"
    meter = CommandMeter(port, tls)
    stk: list[ClientConnection] = []
    b2c: list[ClientConnection] = []
    try:
        stk = list(await asyncio.gather(*(websockets.connect(f"{wss}/mpesa/stk/{prefix}-stk-{i}", ssl=tls)
                                          for i in range(count))))  # fmt: skip
        b2c = list(await asyncio.gather(*(websockets.connect(f"{wss}/mpesa/b2c/{prefix}-b2c-{i}", ssl=tls)
                                          for i in range(count))))  # fmt: skip
        payments: list[dict[str, Any]] = []

        async def push_and_settle() -> None:
            async def push(index: int, connection: ClientConnection) -> dict[str, Any]:
                payload = {"phone": f"2547{phone_base + index:08d}", "amount": 9100, "description": "bench"}
                await connection.send(json.dumps({"kind": "push", "payload": payload}))
                reply = await _next_update(connection, _reply)
                if not reply.get("ok"):
                    raise RuntimeError(f"push refused: {reply}")
                return dict(reply["data"])

            payments.extend(await asyncio.gather(*(push(i, c) for i, c in enumerate(stk))))
            known = await tokens([payment["checkout"] for payment in payments])
            callbacks = [
                (
                    f"/api/v1/hooks/stk/{known[payment['checkout']]}",
                    success_body(
                        payment["checkout"], payment["merchant_request"], float(payment["amount"]), payment["phone"]
                    ),
                )
                for payment in payments
            ]
            await _post_all(port, tls, callbacks)

            def settled(frame: dict[str, Any]) -> bool:
                return _update(frame) and frame.get("data", {}).get("status") in FINAL_STK

            await asyncio.gather(*(_next_update(connection, settled) for connection in stk))

        async def statuses() -> None:
            async def status(connection: ClientConnection, checkout: str) -> None:
                await connection.send(json.dumps({"kind": "status", "payload": {"checkout": checkout}}))
                reply = await _next_update(connection, _reply)
                if not reply.get("ok"):
                    raise RuntimeError(f"status refused: {reply}")

            await asyncio.gather(*(status(c, p["checkout"]) for c, p in zip(stk, payments, strict=True)))

        async def socket_opens() -> None:
            async def open_one(index: int) -> None:
                async with websockets.connect(f"{wss}/mpesa/stk/{prefix}-stk-{index}", ssl=tls) as connection:
                    await _next_update(connection, _update)  # its catch-up: the hash's one payment

            await asyncio.gather(*(open_one(i) for i in range(count)))

        async def withdrawals() -> None:
            async def withdraw(index: int, connection: ClientConnection) -> None:
                payload = {
                    "phone": f"2547{phone_base + count + index:08d}",
                    "amount": WITHDRAWAL_AMOUNT,
                    "description": "bench",
                }
                await connection.send(json.dumps({"kind": "withdraw", "payload": payload}))
                reply = await _next_update(connection, _reply)
                if not reply.get("ok"):
                    raise RuntimeError(f"withdrawal refused: {reply}")

                def final(frame: dict[str, Any]) -> bool:
                    return _update(frame) and frame.get("data", {}).get("status") in FINAL_B2C

                await _next_update(connection, final)

            await asyncio.gather(*(withdraw(i, c) for i, c in enumerate(b2c)))

        async def c2b_confirmations() -> None:
            confirmations = [
                (f"/api/v1/hooks/c2b/confirmation/{C2B_HOOK_SECRET}", _c2b_confirmation(prefix, i))
                for i in range(count)
            ]
            await _post_all(port, tls, confirmations)

        await _expect_c2b_payments(meter, prefix, count)
        return {
            "count": count,
            "push_to_success": await _measured(meter, count, push_and_settle, cpu),
            "status": await _measured(meter, count, statuses, cpu),
            "socket_open": await _measured(meter, count, socket_opens, cpu),
            "withdrawal_to_success": await _measured(meter, count, withdrawals, cpu),
            "c2b_confirmation": await _measured(meter, count, c2b_confirmations, cpu),
        }
    finally:
        for connection in stk + b2c:
            with contextlib.suppress(Exception):
                await connection.close()
        await meter.close()


async def _post_all(port: int, tls: ssl.SSLContext, posts: list[tuple[str, dict[str, Any]]]) -> None:
    """POST each (path, body) as Daraja does, each on its own: CALLBACK_CONNECTIONS connections at once."""
    queue = list(reversed(posts))

    async def sender() -> None:
        http = HttpConnection("127.0.0.1", port, tls, REPLY_TIMEOUT)
        try:
            while queue:
                path, body = queue.pop()
                status, _ = await http.post(path, json.dumps(body).encode())
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
        finally:
            await http.close()

    await asyncio.gather(*(sender() for _ in range(CALLBACK_CONNECTIONS)))


def _reference(prefix: str, index: int) -> str:
    return f"{prefix}-{index:04d}".upper()


async def _expect_c2b_payments(meter: CommandMeter, prefix: str, count: int) -> None:
    """One payment request per confirmation the C2B operation will send (made before it is measured)."""
    expires_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for index in range(count):
        answer = await meter.post(
            "/api/v1/mpesa/c2b/requests",
            {
                "hash": f"{prefix}-c2b",
                "account_reference": _reference(prefix, index),
                "amount_rule": "exact",
                "amount": C2B_AMOUNT,
                "expires_at": expires_at,
            },
        )
        if answer.status_code != 201:
            raise RuntimeError(f"payment request refused: {answer.text}")


def _c2b_confirmation(prefix: str, index: int) -> dict[str, str]:
    """Daraja's C2B v2 confirmation body: flat, every value a string, the payer masked."""
    run = re.sub(r"[^0-9A-Z]", "", prefix.upper())[-3:]
    return {
        "TransactionType": "Pay Bill",
        "TransID": f"BQ{run}{index:05d}",
        "TransTime": datetime.now(UTC).strftime("%Y%m%d%H%M%S"),
        "TransAmount": f"{C2B_AMOUNT}.00",
        "BusinessShortCode": "600984",
        "BillRefNumber": _reference(prefix, index),
        "InvoiceNumber": "",
        "OrgAccountBalance": "49197.00",
        "ThirdPartyTransID": "",
        "MSISDN": "2547 ***** 126",
        "FirstName": "BENCH",
        "MiddleName": "",
        "LastName": "",
    }


async def idle(*, port: int, tls: ssl.SSLContext, settle_seconds: float, window_seconds: float) -> dict[str, Any]:
    """Commands per second of a gateway left alone, every setting at its default."""
    meter = CommandMeter(port, tls)
    try:
        await asyncio.sleep(settle_seconds)
        before = await meter.counts()
        began = time.monotonic()
        await asyncio.sleep(window_seconds)
        after = await meter.counts()
        seconds = time.monotonic() - began
    finally:
        await meter.close()
    result = per_operation(before, after, 1, seconds)
    rate = result["commands"] / seconds
    return {
        "settle_seconds": settle_seconds,
        "window_seconds": round(seconds, 2),
        "commands": result["commands"],
        "per_second": rate,
        "breakdown_per_second": {name: count / seconds for name, count in result["breakdown"].items()},
    }
