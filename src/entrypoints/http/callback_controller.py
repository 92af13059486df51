"""Daraja's callbacks. Each URL carries the payment's own secret token; Daraja gets a 200 for anything applied or
already applied, so it never retries a settled callback, and a 4xx for anything that matches nothing.

Every request is journaled as received (raw body, headers, source, time) before it is read at all; with the journal
out of reach it is refused with a 503, and logged in full instead."""

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import structlog
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency

from domain.errors import CallbackRejectedError, DomainError, StoreUnavailableError
from domain.payment import StkResult
from domain.received_callback import CallbackKind
from domain.transaction_status import TransactionStatusResult
from domain.use_cases.handle_b2c_result import HandleB2cResult
from domain.use_cases.handle_stk_callback import HandleStkCallback
from domain.use_cases.handle_transaction_status_result import HandleTransactionStatusResult, StatusResultOutcome
from domain.use_cases.journal_callback import JournalCallback
from domain.withdrawal import B2cResult
from entrypoints.http.callback_sources import CallbackSources, SourceCheck
from entrypoints.http.daraja_b2c_body import B2cResultEnvelope, parse_b2c_result
from entrypoints.http.daraja_callback_body import StkCallbackEnvelope, parse_stk_callback
from entrypoints.http.daraja_status_body import StatusResultEnvelope, parse_transaction_status
from entrypoints.http.openapi_bodies import json_body
from entrypoints.metrics import GatewayMetrics
from entrypoints.settings import (
    B2C_RESULT_PATH,
    B2C_STATUS_PATH,
    B2C_STATUS_TIMEOUT_PATH,
    B2C_TIMEOUT_PATH,
    STK_CALLBACK_PATH,
)

logger = structlog.get_logger()

# Daraja only needs a quick 200; this body is the convention its own samples use (DARAJA.md §2.3, §4.3).
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
DarajaAnswer = Response[dict[str, Any]]
ResultT = TypeVar("ResultT")


@dataclass(frozen=True, slots=True)
class Arrival:
    """Which URL a callback came to: its kind, the secret token in the path, and the log event that names it."""

    kind: CallbackKind
    token: str
    event: str


def _refusal(status: int, reason: str) -> DarajaAnswer:
    return Response({"ResultCode": 1, "ResultDesc": f"Rejected: {reason}"}, status_code=status)


class DarajaCallbackController(Controller):
    tags = ["Daraja callbacks"]

    @post(
        ["/api/v1/mpesa/stk/callback/{hash:str}", STK_CALLBACK_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's STK push result (CallBackURL)",
        operation_class=json_body(StkCallbackEnvelope, "Daraja's STK callback (DARAJA.md §2.3)"),
    )
    async def stk_callback(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-payment secret the gateway put in the CallBackURL
        handle_stk_callback: NamedDependency[HandleStkCallback],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: StkResult, journal_id: str) -> str:
            return (await handle_stk_callback(hash, result, journal_id)).value

        arrival = Arrival(CallbackKind.STK, hash, "stk_callback")
        return await _receive(
            request, arrival, parse_stk_callback, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        ["/api/v1/mpesa/b2c/withdraw/{hash:str}", B2C_RESULT_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's B2C result (ResultURL)",
        operation_class=json_body(B2cResultEnvelope, "Daraja's B2C Result (DARAJA.md §4.3)"),
    )
    async def b2c_result(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-withdrawal secret the gateway put in the ResultURL
        handle_b2c_result: NamedDependency[HandleB2cResult],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: B2cResult, journal_id: str) -> str:
            return (await handle_b2c_result(hash, result, queue_timeout=False, journal_id=journal_id)).value

        arrival = Arrival(CallbackKind.B2C_RESULT, hash, "b2c_result")
        return await _receive(
            request, arrival, parse_b2c_result, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        ["/api/v1/mpesa/b2c/queue/{hash:str}", B2C_TIMEOUT_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's B2C queue time-out notice (QueueTimeOutURL)",
        operation_class=json_body(B2cResultEnvelope, "Daraja's queue time-out notice, a Result envelope"),
    )
    async def b2c_queue_timeout(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-withdrawal secret the gateway put in the QueueTimeOutURL
        handle_b2c_result: NamedDependency[HandleB2cResult],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: B2cResult, journal_id: str) -> str:
            return (await handle_b2c_result(hash, result, queue_timeout=True, journal_id=journal_id)).value

        arrival = Arrival(CallbackKind.B2C_TIMEOUT, hash, "b2c_queue_timeout")
        return await _receive(
            request, arrival, parse_b2c_result, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        B2C_STATUS_PATH + "/{hash:str}",
        status_code=200,
        summary="Daraja's Transaction Status answer (ResultURL)",
        operation_class=json_body(StatusResultEnvelope, "Daraja's Transaction Status Result (DARAJA.md §4.6)"),
    )
    async def b2c_status_result(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the single-use secret of one status query, which the gateway put in its ResultURL
        handle_transaction_status_result: NamedDependency[HandleTransactionStatusResult],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: TransactionStatusResult, _journal_id: str) -> str:
            outcome = await handle_transaction_status_result(hash, result)
            if outcome is StatusResultOutcome.SETTLED:
                gateway_metrics.settled_by_reconciliation("b2c")
            return outcome.value

        arrival = Arrival(CallbackKind.B2C_STATUS, hash, "b2c_status_result")
        return await _receive(
            request, arrival, parse_transaction_status, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(B2C_STATUS_TIMEOUT_PATH + "/{hash:str}", status_code=200, summary="Daraja's Transaction Status time-out")
    async def b2c_status_timeout(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the single-use secret of one status query, which the gateway put in its QueueTimeOutURL
        handle_transaction_status_result: NamedDependency[HandleTransactionStatusResult],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def ignore(_result: bytes, _journal_id: str) -> str:
            # The query itself timed out in Daraja's queue: the reconciler simply asks again at its next check.
            await handle_transaction_status_result.query_timed_out(hash)
            return "ignored"

        arrival = Arrival(CallbackKind.B2C_STATUS, hash, "b2c_status_timeout")
        return await _receive(request, arrival, bytes, ignore, journal_callback, gateway_metrics, callback_sources)


async def _receive(
    request: Request[Any, Any, Any],
    arrival: Arrival,
    parse: Callable[[bytes], ResultT],
    apply: Callable[[ResultT, str], Awaitable[str]],
    journal_callback: JournalCallback,
    metrics: GatewayMetrics,
    callback_sources: CallbackSources,
) -> DarajaAnswer:
    answer = await _answer_callback(request, arrival, parse, apply, journal_callback, callback_sources)
    metrics.callback(arrival.kind.value, accepted=answer.status_code == 200)
    return answer


async def _answer_callback(
    request: Request[Any, Any, Any],
    arrival: Arrival,
    parse: Callable[[bytes], ResultT],
    apply: Callable[[ResultT, str], Awaitable[str]],
    journal_callback: JournalCallback,
    callback_sources: CallbackSources,
) -> DarajaAnswer:
    peer = request.client.host if request.client else None
    source = callback_sources.sender(peer, request.headers.get("x-forwarded-for"))
    started = time.perf_counter()
    body = await request.body()
    # The headers as they came off the wire (ASGI keeps them as latin-1 bytes, in order, repeats included).
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.scope["headers"]]
    try:
        journal_id = await journal_callback(arrival.kind, arrival.token, body, headers, source)
    except StoreUnavailableError:
        return _refusal(503, "temporarily unavailable")  # JournalCallback logged all of it
    event = arrival.event
    with structlog.contextvars.bound_contextvars(journal_id=journal_id):
        if not callback_sources.admits(source):
            # Journaled above either way: the evidence of a forged sender is kept.
            logger.warning(
                "security_callback_source_refused", callback=event, source=source, mode=callback_sources.mode.value
            )
            if callback_sources.mode is SourceCheck.ENFORCE:
                return _refusal(403, "sender not allowed")
        try:
            result = parse(body)
        except DomainError as error:
            logger.warning("callback_malformed", callback=event, source=source, reason=error.message)
            return _refusal(400, "malformed callback body")
        try:
            outcome = await apply(result, journal_id)
        except CallbackRejectedError as error:
            logger.warning("security_callback_rejected", callback=event, source=source, reason=error.message)
            return _refusal(403, "no such payment")
        except StoreUnavailableError:
            # Daraja may never send this again: keep everything it said in the log, for reconciliation by hand.
            logger.error("callback_unrecorded", callback=event, source=source, result=asdict(result))  # type: ignore[call-overload]
            return _refusal(503, "temporarily unavailable")
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        logger.info(event, source=source, outcome=outcome, duration_ms=duration_ms)
    return Response(ACCEPTED, status_code=200)
