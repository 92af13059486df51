"""Daraja's callbacks. Each URL carries the payment's own secret token; Daraja gets a 200 for anything applied or
already applied, so it never retries a settled callback, and a 4xx for anything that matches nothing.

A body over CALLBACK_MAX_BODY_BYTES (64 KiB; Daraja's are a few KiB) is refused with 413 as soon as the limit is
passed, announced or chunked, before the rest is read. What is journaled depends on who may have sent it: in full
(raw body, headers, source, time) only a callback from an admitted sender to a URL whose token names a record;
anything else only as a digest (the body's SHA-256 and size, kind, token hash, source, time), within a per-process
budget, so that no one without a token can fill the store. Every callback is counted in the metrics either way.
(With CALLBACK_SOURCE_CHECK=log an unlisted sender's callback is still applied, so it is journaled as an admitted
one would be: whatever changed a record is kept whole.)

The genuine callback is journaled once its use case found the record by its token (its journal id is made first,
without the store, so anomalies can name it): that costs the genuine path no store command beyond the journal entry
it always had. The price: a process killed between applying and journaling loses the raw callback, not its effect,
which the record's history keeps. Only the rare paths (a malformed body, a refused callback) ask the route's own
"does this token name a record" lookup. With the store out of reach a callback is refused with a 503 and logged in
full instead."""

import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import structlog
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.b2c.use_cases.handle_transaction_status_result import HandleTransactionStatusResult, StatusResultOutcome
from domain.b2c.withdrawal import B2cResult
from domain.balances.balance_check import BalanceResult
from domain.balances.use_cases.handle_balance_result import HandleBalanceResult
from domain.callbacks.received_callback import CallbackKind, DigestReason
from domain.callbacks.use_cases.journal_callback import JournalCallback
from domain.reversals.reversal import ReversalResult
from domain.reversals.use_cases.handle_reversal_result import HandleReversalResult, ReversalResultOutcome
from domain.reversals.use_cases.handle_reversal_status import HandleReversalStatusResult
from domain.shared.errors import CallbackRejectedError, DomainError, StoreUnavailableError, UnknownCallbackTokenError
from domain.shared.transaction_status import TransactionStatusResult
from domain.stk.payment import StkResult
from domain.stk.use_cases.handle_callback import HandleStkCallback
from entrypoints.http.callback_sources import CallbackSources, SourceCheck
from entrypoints.http.daraja_b2c_body import B2cResultEnvelope, parse_b2c_result
from entrypoints.http.daraja_balance_body import BalanceResultEnvelope, parse_balance_result
from entrypoints.http.daraja_callback_body import StkCallbackEnvelope, parse_stk_callback
from entrypoints.http.daraja_reversal_body import ReversalResultEnvelope, parse_reversal_result
from entrypoints.http.daraja_status_body import StatusResultEnvelope, parse_transaction_status
from entrypoints.http.openapi_bodies import json_body
from entrypoints.metrics import GatewayMetrics
from entrypoints.protocol.json_bounds import MAXIMUM_DOCUMENT_BYTES
from entrypoints.settings import (
    B2C_RESULT_PATH,
    B2C_STATUS_PATH,
    B2C_STATUS_TIMEOUT_PATH,
    B2C_TIMEOUT_PATH,
    BALANCE_RESULT_PATH,
    BALANCE_TIMEOUT_PATH,
    REVERSAL_RESULT_PATH,
    REVERSAL_STATUS_PATH,
    REVERSAL_STATUS_TIMEOUT_PATH,
    REVERSAL_TIMEOUT_PATH,
    STK_CALLBACK_PATH,
)

logger = structlog.get_logger()

# Daraja only needs a quick 200; this body is the convention its own samples use (docs/daraja.md#stk-push-callback,
# #b2c-result).
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
DarajaAnswer = Response[dict[str, Any]]
ResultT = TypeVar("ResultT")
# The parsers refuse a larger document anyway; refusing it at the route keeps it from being read at all.
CALLBACK_MAX_BODY_BYTES = MAXIMUM_DOCUMENT_BYTES
# Whether a callback URL's token names a record (a payment, a withdrawal, a status query): one lookup per route.
NamesRecord = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Arrival:
    """Which URL a callback came to: its kind, the secret token in the path, the log event that names it, and the
    lookup that tells whether the token names a record."""

    kind: CallbackKind
    token: str
    event: str
    names_record: NamesRecord


def _refusal(status: int, reason: str) -> DarajaAnswer:
    return Response({"ResultCode": 1, "ResultDesc": f"Rejected: {reason}"}, status_code=status)


class DarajaCallbackController(Controller):
    tags = ["Daraja callbacks"]
    request_max_body_size = CALLBACK_MAX_BODY_BYTES

    @post(
        ["/api/v1/mpesa/stk/callback/{hash:str}", STK_CALLBACK_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's STK push result (CallBackURL)",
        operation_class=json_body(StkCallbackEnvelope, "Daraja's STK callback (docs/daraja.md#stk-push-callback)"),
    )
    async def stk_callback(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-payment secret the gateway put in the CallBackURL
        handle_stk_callback: NamedDependency[HandleStkCallback],
        stk_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: StkResult, journal_id: str) -> str:
            return (await handle_stk_callback(hash, result, journal_id)).value

        arrival = Arrival(CallbackKind.STK, hash, "stk_callback", stk_callback_token_known)
        return await _receive(
            request, arrival, parse_stk_callback, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        ["/api/v1/mpesa/b2c/withdraw/{hash:str}", B2C_RESULT_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's B2C result (ResultURL)",
        operation_class=json_body(B2cResultEnvelope, "Daraja's B2C Result (docs/daraja.md#b2c-result)"),
    )
    async def b2c_result(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-withdrawal secret the gateway put in the ResultURL
        handle_b2c_result: NamedDependency[HandleB2cResult],
        b2c_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: B2cResult, journal_id: str) -> str:
            return (await handle_b2c_result(hash, result, queue_timeout=False, journal_id=journal_id)).value

        arrival = Arrival(CallbackKind.B2C_RESULT, hash, "b2c_result", b2c_callback_token_known)
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
        b2c_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: B2cResult, journal_id: str) -> str:
            return (await handle_b2c_result(hash, result, queue_timeout=True, journal_id=journal_id)).value

        arrival = Arrival(CallbackKind.B2C_TIMEOUT, hash, "b2c_queue_timeout", b2c_callback_token_known)
        return await _receive(
            request, arrival, parse_b2c_result, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        B2C_STATUS_PATH + "/{hash:str}",
        status_code=200,
        summary="Daraja's Transaction Status answer (ResultURL)",
        operation_class=json_body(
            StatusResultEnvelope, "Daraja's Transaction Status Result (docs/daraja.md#transaction-status)"
        ),
    )
    async def b2c_status_result(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the single-use secret of one status query, which the gateway put in its ResultURL
        handle_transaction_status_result: NamedDependency[HandleTransactionStatusResult],
        status_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: TransactionStatusResult, _journal_id: str) -> str:
            outcome = await handle_transaction_status_result(hash, result)
            if outcome is StatusResultOutcome.SETTLED:
                gateway_metrics.settled_by_reconciliation("b2c")
            return outcome.value

        arrival = Arrival(CallbackKind.B2C_STATUS, hash, "b2c_status_result", status_callback_token_known)
        return await _receive(
            request, arrival, parse_transaction_status, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(B2C_STATUS_TIMEOUT_PATH + "/{hash:str}", status_code=200, summary="Daraja's Transaction Status time-out")
    async def b2c_status_timeout(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the single-use secret of one status query, which the gateway put in its QueueTimeOutURL
        handle_transaction_status_result: NamedDependency[HandleTransactionStatusResult],
        status_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def ignore(_result: bytes, _journal_id: str) -> str:
            # The query itself timed out in Daraja's queue: the reconciler simply asks again at its next check.
            await handle_transaction_status_result.query_timed_out(hash)
            return "ignored"

        arrival = Arrival(CallbackKind.B2C_STATUS, hash, "b2c_status_timeout", status_callback_token_known)
        return await _receive(request, arrival, bytes, ignore, journal_callback, gateway_metrics, callback_sources)

    @post(
        BALANCE_RESULT_PATH + "/{hash:str}",
        status_code=200,
        summary="Daraja's Account Balance result (ResultURL)",
        operation_class=json_body(BalanceResultEnvelope, "Daraja's Account Balance Result (docs/balances.md)"),
    )
    async def balance_result(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the single-use secret of one balance check, which the gateway put in its ResultURL
        handle_balance_result: NamedDependency[HandleBalanceResult],
        balance_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: BalanceResult, _journal_id: str) -> str:
            return (await handle_balance_result(hash, result)).value

        arrival = Arrival(CallbackKind.BALANCE_RESULT, hash, "balance_result", balance_callback_token_known)
        return await _receive(
            request, arrival, parse_balance_result, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        BALANCE_TIMEOUT_PATH + "/{hash:str}",
        status_code=200,
        summary="Daraja's Account Balance queue time-out notice (QueueTimeOutURL)",
        operation_class=json_body(BalanceResultEnvelope, "Daraja's queue time-out notice, a Result envelope"),
    )
    async def balance_queue_timeout(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the single-use secret of one balance check, which the gateway put in its QueueTimeOutURL
        handle_balance_result: NamedDependency[HandleBalanceResult],
        balance_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: BalanceResult, _journal_id: str) -> str:
            return (await handle_balance_result(hash, result, queue_timeout=True)).value

        arrival = Arrival(CallbackKind.BALANCE_TIMEOUT, hash, "balance_queue_timeout", balance_callback_token_known)
        return await _receive(
            request, arrival, parse_balance_result, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        ["/api/v1/mpesa/reversal/result/{hash:str}", REVERSAL_RESULT_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's Transaction Reversal result (ResultURL)",
        operation_class=json_body(
            ReversalResultEnvelope, "Daraja's Reversal Result (docs/daraja.md#transaction-reversal)"
        ),
    )
    async def reversal_result(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-reversal secret the gateway put in the ResultURL
        handle_reversal_result: NamedDependency[HandleReversalResult],
        reversal_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: ReversalResult, _journal_id: str) -> str:
            return (await handle_reversal_result(hash, result)).value

        arrival = Arrival(CallbackKind.REVERSAL_RESULT, hash, "reversal_result", reversal_callback_token_known)
        return await _receive(
            request, arrival, parse_reversal_result, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        ["/api/v1/mpesa/reversal/queue/{hash:str}", REVERSAL_TIMEOUT_PATH + "/{hash:str}"],
        status_code=200,
        summary="Daraja's Transaction Reversal queue time-out notice (QueueTimeOutURL)",
        operation_class=json_body(ReversalResultEnvelope, "Daraja's queue time-out notice, a Result envelope"),
    )
    async def reversal_queue_timeout(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the per-reversal secret the gateway put in the QueueTimeOutURL
        handle_reversal_result: NamedDependency[HandleReversalResult],
        reversal_callback_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: ReversalResult, _journal_id: str) -> str:
            return (await handle_reversal_result(hash, result, queue_timeout=True)).value

        arrival = Arrival(CallbackKind.REVERSAL_TIMEOUT, hash, "reversal_queue_timeout", reversal_callback_token_known)
        return await _receive(
            request, arrival, parse_reversal_result, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        REVERSAL_STATUS_PATH + "/{hash:str}",
        status_code=200,
        summary="Daraja's Transaction Status answer about a reversal (ResultURL)",
        operation_class=json_body(
            StatusResultEnvelope, "Daraja's Transaction Status Result (docs/daraja.md#transaction-status)"
        ),
    )
    async def reversal_status_result(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the single-use secret of one status query, which the gateway put in its ResultURL
        handle_reversal_status: NamedDependency[HandleReversalStatusResult],
        reversal_status_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def apply(result: TransactionStatusResult, _journal_id: str) -> str:
            outcome = await handle_reversal_status(hash, result)
            if outcome in (ReversalResultOutcome.REVERSED, ReversalResultOutcome.FAILED):
                gateway_metrics.settled_by_reconciliation("reversal")
            return outcome.value

        arrival = Arrival(CallbackKind.REVERSAL_STATUS, hash, "reversal_status_result", reversal_status_token_known)
        return await _receive(
            request, arrival, parse_transaction_status, apply, journal_callback, gateway_metrics, callback_sources
        )

    @post(
        REVERSAL_STATUS_TIMEOUT_PATH + "/{hash:str}",
        status_code=200,
        summary="Daraja's Transaction Status time-out about a reversal",
    )
    async def reversal_status_timeout(
        self,
        request: Request[Any, Any, Any],
        hash: str,  # the single-use secret of one status query, which the gateway put in its QueueTimeOutURL
        handle_reversal_status: NamedDependency[HandleReversalStatusResult],
        reversal_status_token_known: NamedDependency[NamesRecord],
        journal_callback: NamedDependency[JournalCallback],
        gateway_metrics: NamedDependency[GatewayMetrics],
        callback_sources: NamedDependency[CallbackSources],
    ) -> DarajaAnswer:
        async def ignore(_result: bytes, _journal_id: str) -> str:
            await handle_reversal_status.query_timed_out(hash)  # the reconciler asks again at its next check
            return "ignored"

        arrival = Arrival(CallbackKind.REVERSAL_STATUS, hash, "reversal_status_timeout", reversal_status_token_known)
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
    answer = await _answer_callback(request, arrival, parse, apply, journal_callback, metrics, callback_sources)
    metrics.callback(arrival.kind.value, accepted=answer.status_code == 200)
    return answer


async def _answer_callback(
    request: Request[Any, Any, Any],
    arrival: Arrival,
    parse: Callable[[bytes], ResultT],
    apply: Callable[[ResultT, str], Awaitable[str]],
    journal_callback: JournalCallback,
    metrics: GatewayMetrics,
    callback_sources: CallbackSources,
) -> DarajaAnswer:
    peer = request.client.host if request.client else None
    source = callback_sources.sender(peer, request.headers.get("x-forwarded-for"))
    started = time.perf_counter()
    event = arrival.event
    try:
        body = await request.body()  # at most CALLBACK_MAX_BODY_BYTES, whether announced or chunked
    except RequestEntityTooLarge:
        logger.warning("security_callback_too_large", callback=event, source=source, limit=CALLBACK_MAX_BODY_BYTES)
        metrics.callback_journaled(arrival.kind.value, "none")
        return _refusal(413, "body too large")
    journal = _Journal(request, arrival, body, source, journal_callback, metrics)
    with structlog.contextvars.bound_contextvars(journal_id=journal.id):
        if not callback_sources.admits(source):
            logger.warning(
                "security_callback_source_refused", callback=event, source=source, mode=callback_sources.mode.value
            )
            if callback_sources.mode is SourceCheck.ENFORCE:
                await journal.digest(DigestReason.SENDER_REFUSED)  # the evidence of a forged sender, in brief
                return _refusal(403, "sender not allowed")
        try:
            result = parse(body)
        except DomainError as error:
            logger.warning("callback_malformed", callback=event, source=source, reason=error.message)
            await journal.in_full_if_named()
            return _refusal(400, "malformed callback body")
        try:
            outcome = await apply(result, journal.id)
        except UnknownCallbackTokenError as error:
            logger.warning("security_callback_rejected", callback=event, source=source, reason=error.message)
            await journal.digest(DigestReason.UNKNOWN_TOKEN)
            return _refusal(403, "no such payment")
        except CallbackRejectedError as error:
            logger.warning("security_callback_rejected", callback=event, source=source, reason=error.message)
            await journal.in_full_if_named()  # a real token with a body that disagrees: kept whole, as evidence
            return _refusal(403, "no such payment")
        except StoreUnavailableError:
            # Daraja may never send this again: keep everything it said in the log, for reconciliation by hand.
            logger.error("callback_unrecorded", callback=event, source=source, result=asdict(result))  # type: ignore[call-overload]
            await journal.in_full_if_named()  # the raw callback too, in the store if it is back, else in the log
            return _refusal(503, "temporarily unavailable")
        # Applied (or acknowledged): the use case found the record by its token, so this is kept whole. Should the
        # store fail just now, the callback is logged in full, and Daraja still gets its 200: it was applied.
        await journal.in_full()
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        logger.info(event, source=source, outcome=outcome, duration_ms=duration_ms)
    return Response(ACCEPTED, status_code=200)


class _Journal:
    """One callback's journal entry: its id is made up front, the entry written once it is known what to keep."""

    def __init__(
        self,
        request: Request[Any, Any, Any],
        arrival: Arrival,
        body: bytes,
        source: str | None,
        journal_callback: JournalCallback,
        metrics: GatewayMetrics,
    ) -> None:
        self._request, self._arrival, self._body, self._source = request, arrival, body, source
        self._journal_callback, self._metrics = journal_callback, metrics
        self.id = journal_callback.new_id()

    async def in_full(self) -> None:
        # The headers as they came off the wire (ASGI keeps them as latin-1 bytes, in order, repeats included).
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in self._request.scope["headers"]]
        kind = self._arrival.kind
        self._metrics.callback_journaled(kind.value, "full")
        with suppress(StoreUnavailableError):  # JournalCallback logged all of it
            await self._journal_callback(kind, self._arrival.token, self._body, headers, self._source, self.id)

    async def in_full_if_named(self) -> None:
        try:
            named = await self._arrival.names_record(self._arrival.token)
        except StoreUnavailableError:
            named = True  # cannot tell: the store is out of reach, so JournalCallback logs it in full instead
        if named:
            await self.in_full()
        else:
            await self.digest(DigestReason.UNKNOWN_TOKEN)

    async def digest(self, reason: DigestReason) -> None:
        kind = self._arrival.kind
        token, body = self._arrival.token, self._body
        stored = await self._journal_callback.digest(kind, token, body, self._source, reason, self.id)
        self._metrics.callback_journaled(kind.value, "digest" if stored else "none")
