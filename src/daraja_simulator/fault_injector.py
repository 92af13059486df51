"""Faults on Daraja's own paths, applied around the app at the ASGI level: every request whose path is not under
/simulator/ is counted, then failed, delayed, dropped or cut off as the fault plan says."""

import asyncio

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from daraja_simulator.fault_plan import CONTROL_PREFIX
from daraja_simulator.faults import Faults
from daraja_simulator.ledger import Ledger


class FaultInjector:
    """Wraps the app's ASGI handler: counts every Daraja request, then applies the fault plan to it."""

    def __init__(self, app: ASGIApp, faults: Faults, ledger: Ledger) -> None:
        self._app, self._faults, self._ledger = app, faults, ledger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != ScopeType.HTTP or path.startswith(CONTROL_PREFIX):
            await self._app(scope, receive, send)
            return
        self._ledger.count_request(path)
        decision = self._faults.decide(path)
        if decision.abort:
            await _drop_connection(send)
        elif decision.fail:
            status, body = self._faults.plan.failure_answer()
            await _answer(send, status, body)
        elif decision.drop or decision.delay:
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self._app(scope, receive, hold)  # processed in full: ledger, callbacks scheduled
            await asyncio.sleep(decision.delay)
            if decision.drop:
                await _drop_connection(send)
                return
            for message in held:
                await send(message)
        else:
            await self._app(scope, receive, send)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class SimulatedDropError(Exception):
    """Breaks a response off where the server's transport cannot be reached (not served by uvicorn)."""


async def _drop_connection(send: Send) -> None:
    # uvicorn hands the app a bound method of its request cycle, which holds the connection's transport:
    # aborting it closes the connection with no answer at all, as a crashed proxy would.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    abort = getattr(transport, "abort", None)
    if callable(abort):  # asyncio's and uvloop's transports alike
        abort()
        await asyncio.sleep(0)  # let uvicorn see the disconnection before the app returns
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    raise SimulatedDropError("connection dropped by a simulator fault")
