"""Daraja's callbacks. Each URL carries the payment's own secret token; Daraja gets a 200 for anything applied or
already applied, so it never retries a settled callback, and a 4xx for anything that matches nothing."""

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, TypeVar

import structlog
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency

from domain.errors import CallbackRejectedError, DomainError, StoreUnavailableError
from domain.payment import StkResult
from domain.use_cases.handle_b2c_result import HandleB2cResult
from domain.use_cases.handle_stk_callback import HandleStkCallback
from domain.withdrawal import B2cResult
from entrypoints.http.daraja_b2c_body import parse_b2c_result
from entrypoints.http.daraja_callback_body import parse_stk_callback
from entrypoints.settings import B2C_RESULT_PATH, B2C_TIMEOUT_PATH, STK_CALLBACK_PATH

logger = structlog.get_logger()

# Daraja only needs a quick 200; this body is the convention its own samples use (DARAJA.md §2.3, §4.3).
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
DarajaAnswer = Response[dict[str, Any]]
ResultT = TypeVar("ResultT")


def _refusal(status: int, reason: str) -> DarajaAnswer:
    return Response({"ResultCode": 1, "ResultDesc": f"Rejected: {reason}"}, status_code=status)


class DarajaCallbackController(Controller):
    tags = ["Daraja callbacks"]

    @post(
        ["/api/v1/mpesa/stk/callback/{hash:str}", STK_CALLBACK_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's STK push result (CallBackURL)",
    )
    async def stk_callback(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-payment secret the gateway put in the CallBackURL
        handle_stk_callback: NamedDependency[HandleStkCallback],
    ) -> DarajaAnswer:
        async def apply(result: StkResult) -> str:
            return (await handle_stk_callback(hash, result)).value

        return await _receive(request, "stk_callback", parse_stk_callback, apply)

    @post(
        ["/api/v1/mpesa/b2c/withdraw/{hash:str}", B2C_RESULT_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's B2C result (ResultURL)",
    )
    async def b2c_result(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-withdrawal secret the gateway put in the ResultURL
        handle_b2c_result: NamedDependency[HandleB2cResult],
    ) -> DarajaAnswer:
        async def apply(result: B2cResult) -> str:
            return (await handle_b2c_result(hash, result, queue_timeout=False)).value

        return await _receive(request, "b2c_result", parse_b2c_result, apply)

    @post(
        ["/api/v1/mpesa/b2c/queue/{hash:str}", B2C_TIMEOUT_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's B2C queue time-out notice (QueueTimeOutURL)",
    )
    async def b2c_queue_timeout(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-withdrawal secret the gateway put in the QueueTimeOutURL
        handle_b2c_result: NamedDependency[HandleB2cResult],
    ) -> DarajaAnswer:
        async def apply(result: B2cResult) -> str:
            return (await handle_b2c_result(hash, result, queue_timeout=True)).value

        return await _receive(request, "b2c_queue_timeout", parse_b2c_result, apply)


async def _receive(
    request: Request[Any, Any, Any],
    event: str,
    parse: Callable[[bytes], ResultT],
    apply: Callable[[ResultT], Awaitable[str]],
) -> DarajaAnswer:
    source = request.client.host if request.client else None
    started = time.perf_counter()
    try:
        result = parse(await request.body())
    except DomainError as error:
        logger.warning("callback_malformed", callback=event, source=source, reason=error.message)
        return _refusal(400, "malformed callback body")
    try:
        outcome = await apply(result)
    except CallbackRejectedError as error:
        logger.warning("security_callback_rejected", callback=event, source=source, reason=error.message)
        return _refusal(403, "no such payment")
    except StoreUnavailableError:
        # Daraja may never send this again: keep everything it said in the log, for reconciliation by hand.
        logger.error("callback_unrecorded", callback=event, source=source, result=asdict(result))  # type: ignore[call-overload]
        return _refusal(503, "temporarily unavailable")
    logger.info(event, source=source, outcome=outcome, duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return Response(ACCEPTED, status_code=200)
