"""Daraja's callbacks. Each URL carries the payment's own secret token; Daraja gets a 200 for anything applied or
already applied, so it never retries a settled callback, and a 4xx for anything that matches nothing.

A body over CALLBACK_MAX_BODY_BYTES (64 KiB; Daraja's are a few KiB) is refused with 413 as soon as the limit is
passed, announced or chunked, before the rest is read. What is journaled depends on who may have sent it: in full
(raw body, headers, source, time) only a callback from an admitted sender to a URL whose token names a record;
anything else only as a digest (the body's SHA-256 and size, kind, token hash, source, time), within a per-process
budget, so that no one without a token can fill the store. Every callback is counted in the metrics either way.
(With CALLBACK_SOURCE_CHECK=log an unlisted sender's callback is still applied, so it is journaled as an admitted
one would be: whatever changed a record is kept whole.)

The genuine callback is kept once its use case found the record by its token (its journal id is made first,
without the store, so anomalies can name it). The one that applies to an STK payment or a B2C withdrawal is kept in
that record by the very write that applies it (`CallbackInHand`): no store command of its own, and no moment where
the effect is stored without the raw callback. Any other is journaled after its use case: a process killed in
between loses that raw callback, never an effect (it changed no record). Only the rare paths (a malformed body, a
refused callback) ask the route's own "does this token name a record" lookup. With the store out of reach a
callback is refused with a 503 and logged in full instead.

The routes are one table, CALLBACK_ROUTES: a row per URL (its paths, the body parser, the use case and its token
lookup, the OpenAPI summary and body), each served by the same handler. Daraja's C2B validation and confirmation
calls are not rows (c2b_hooks.py): their URL carries one per-deployment secret, not a record's token, and is refused
with a 404 before the body is read; they are neither source-checked nor journaled; and validation answers with the
merchant's accept or reject, not an acknowledgement. As rows they would be a row of exceptions."""

import inspect
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Annotated, Any, Generic, Protocol, TypeVar

import structlog
from litestar import Request, Response, Router, post
from litestar.di import Dependency, NamedDependency, Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Operation

from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.b2c.use_cases.handle_transaction_status_result import HandleTransactionStatusResult, StatusResultOutcome
from domain.b2c.withdrawal import B2cResult
from domain.callbacks.received_callback import CallbackInHand, CallbackKind, DigestReason
from domain.callbacks.use_cases.journal_callback import JournalCallback
from domain.reversals.use_cases.handle_reversal_result import ReversalResultOutcome
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
ResultContraT = TypeVar("ResultContraT", contravariant=True)
UseCaseT = TypeVar("UseCaseT")
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


class CallbackReception(Generic[UseCaseT]):
    """All a callback route asks Litestar for, as one object: its use case and its "does this token name a record"
    lookup, and what every route shares (the journal, the sender policy, the metrics).

    One dependency, not seven, because Litestar resolves the dependencies that sit side by side in an anyio task
    group, a task each, even plain synchronous ones: bench/dependency_batches.py measures 152 µs of CPU per request
    for seven against 23 µs for one. A plain class: Litestar would validate a dataclass dependency field by field on
    every request."""

    __slots__ = ("journal", "metrics", "names_record", "sources", "use_case")

    def __init__(
        self,
        use_case: UseCaseT,
        names_record: NamesRecord,
        journal: JournalCallback,
        sources: CallbackSources,
        metrics: GatewayMetrics,
    ) -> None:
        self.use_case, self.names_record = use_case, names_record
        self.journal, self.sources, self.metrics = journal, sources, metrics


def _refusal(status: int, reason: str) -> DarajaAnswer:
    return Response({"ResultCode": 1, "ResultDesc": f"Rejected: {reason}"}, status_code=status)


@dataclass(frozen=True, slots=True)
class CallbackRoute(Generic[UseCaseT, ResultT]):
    """One callback URL of Daraja's: what tells it from the others. Every route is then received alike (`_receive`):
    body read within its limit, sender checked, journaled, parsed, applied, answered and logged.

    `name` is the handler's: the log event and the tail of the OpenAPI operation id. `reception` names the
    provider (app.py's bridge) of the route's `CallbackReception`; `apply` hands the parsed body to its use case and
    says the outcome to log. `body` is the request body the OpenAPI document shows (its shape and description), if
    any."""

    name: str
    paths: tuple[str, ...]
    kind: CallbackKind
    summary: str
    parse: Callable[[bytes], ResultT]
    reception: str
    apply: Callable[[UseCaseT, str, ResultT, CallbackInHand, GatewayMetrics], Awaitable[str]]
    body: tuple[type[Any], str] | None = None


# ---- How each use case takes its callback: (use case, token from the URL, parsed body, the callback as received,
# metrics). The STK and B2C Result use cases keep the callback in the record the callback applies to; the others
# leave it to be journaled.


async def _stk_result(handle: HandleStkCallback, token: str, result: StkResult, in_hand: CallbackInHand, _: Any) -> str:
    return (await handle(token, result, in_hand=in_hand)).value


async def _b2c_result(handle: HandleB2cResult, token: str, result: B2cResult, in_hand: CallbackInHand, _: Any) -> str:
    return (await handle(token, result, queue_timeout=False, in_hand=in_hand)).value


async def _b2c_queue_timeout(
    handle: HandleB2cResult, token: str, result: B2cResult, in_hand: CallbackInHand, _: Any
) -> str:
    return (await handle(token, result, queue_timeout=True, in_hand=in_hand)).value


async def _b2c_status_result(
    handle: HandleTransactionStatusResult,
    token: str,
    result: TransactionStatusResult,
    _in_hand: CallbackInHand,
    metrics: GatewayMetrics,
) -> str:
    outcome = await handle(token, result)
    if outcome is StatusResultOutcome.SETTLED:
        metrics.settled_by_reconciliation("b2c")
    return outcome.value


async def _b2c_status_timeout(
    handle: HandleTransactionStatusResult, token: str, _result: bytes, _in_hand: CallbackInHand, _: Any
) -> str:
    # The query itself timed out in Daraja's queue: the reconciler simply asks again at its next check.
    await handle.query_timed_out(token)
    return "ignored"


class _TakesQueueTimeout(Protocol[ResultContraT]):
    """A use case told whether its callback is the Result or the queue time-out notice, both of one shape."""

    async def __call__(self, token: str, result: ResultContraT, *, queue_timeout: bool = False) -> StrEnum: ...


@dataclass(frozen=True, slots=True)
class _HandedOn:
    """How the balance and reversal use cases take their Result (`queue_timeout` False) or their time-out notice."""

    queue_timeout: bool

    async def __call__(
        self, handle: _TakesQueueTimeout[ResultT], token: str, result: ResultT, _in_hand: CallbackInHand, _: Any
    ) -> str:
        return (await handle(token, result, queue_timeout=self.queue_timeout)).value


_AS_RESULT, _AS_QUEUE_TIMEOUT = _HandedOn(queue_timeout=False), _HandedOn(queue_timeout=True)


async def _reversal_status_result(
    handle: HandleReversalStatusResult,
    token: str,
    result: TransactionStatusResult,
    _in_hand: CallbackInHand,
    metrics: GatewayMetrics,
) -> str:
    outcome = await handle(token, result)
    if outcome in (ReversalResultOutcome.REVERSED, ReversalResultOutcome.FAILED):
        metrics.settled_by_reconciliation("reversal")
    return outcome.value


async def _reversal_status_timeout(
    handle: HandleReversalStatusResult, token: str, _result: bytes, _in_hand: CallbackInHand, _: Any
) -> str:
    await handle.query_timed_out(token)  # the reconciler asks again at its next check
    return "ignored"


_QUEUED = "Daraja's queue time-out notice, a Result envelope"
_STATUS_BODY = (StatusResultEnvelope, "Daraja's Transaction Status Result (docs/daraja.md#transaction-status)")

# Every callback URL the gateway hands Daraja. The token in each path is the record's own secret: the payment's
# (CallBackURL), the withdrawal's or the reversal's (ResultURL, QueueTimeOutURL), or the single-use secret of one
# status query or balance check. The /api/v1/mpesa/... paths are the older spellings, still served.
CALLBACK_ROUTES: tuple[CallbackRoute[Any, Any], ...] = (
    CallbackRoute(
        "stk_callback",
        ("/api/v1/mpesa/stk/callback", STK_CALLBACK_PATH),
        CallbackKind.STK,
        "Daraja's STK push result (CallBackURL)",
        parse_stk_callback,
        "stk_callback_reception",
        _stk_result,
        (StkCallbackEnvelope, "Daraja's STK callback (docs/daraja.md#stk-push-callback)"),
    ),
    CallbackRoute(
        "b2c_result",
        ("/api/v1/mpesa/b2c/withdraw", B2C_RESULT_PATH),
        CallbackKind.B2C_RESULT,
        "Daraja's B2C result (ResultURL)",
        parse_b2c_result,
        "b2c_callback_reception",
        _b2c_result,
        (B2cResultEnvelope, "Daraja's B2C Result (docs/daraja.md#b2c-result)"),
    ),
    CallbackRoute(
        "b2c_queue_timeout",
        ("/api/v1/mpesa/b2c/queue", B2C_TIMEOUT_PATH),
        CallbackKind.B2C_TIMEOUT,
        "Daraja's B2C queue time-out notice (QueueTimeOutURL)",
        parse_b2c_result,
        "b2c_callback_reception",
        _b2c_queue_timeout,
        (B2cResultEnvelope, _QUEUED),
    ),
    CallbackRoute(
        "b2c_status_result",
        (B2C_STATUS_PATH,),
        CallbackKind.B2C_STATUS,
        "Daraja's Transaction Status answer (ResultURL)",
        parse_transaction_status,
        "b2c_status_reception",
        _b2c_status_result,
        _STATUS_BODY,
    ),
    CallbackRoute(
        "b2c_status_timeout",
        (B2C_STATUS_TIMEOUT_PATH,),
        CallbackKind.B2C_STATUS,
        "Daraja's Transaction Status time-out",
        bytes,  # whatever it says: the query is simply asked again
        "b2c_status_reception",
        _b2c_status_timeout,
    ),
    CallbackRoute(
        "balance_result",
        (BALANCE_RESULT_PATH,),
        CallbackKind.BALANCE_RESULT,
        "Daraja's Account Balance result (ResultURL)",
        parse_balance_result,
        "balance_callback_reception",
        _AS_RESULT,
        (BalanceResultEnvelope, "Daraja's Account Balance Result (docs/balances.md)"),
    ),
    CallbackRoute(
        "balance_queue_timeout",
        (BALANCE_TIMEOUT_PATH,),
        CallbackKind.BALANCE_TIMEOUT,
        "Daraja's Account Balance queue time-out notice (QueueTimeOutURL)",
        parse_balance_result,
        "balance_callback_reception",
        _AS_QUEUE_TIMEOUT,
        (BalanceResultEnvelope, _QUEUED),
    ),
    CallbackRoute(
        "reversal_result",
        ("/api/v1/mpesa/reversal/result", REVERSAL_RESULT_PATH),
        CallbackKind.REVERSAL_RESULT,
        "Daraja's Transaction Reversal result (ResultURL)",
        parse_reversal_result,
        "reversal_callback_reception",
        _AS_RESULT,
        (ReversalResultEnvelope, "Daraja's Reversal Result (docs/daraja.md#transaction-reversal)"),
    ),
    CallbackRoute(
        "reversal_queue_timeout",
        ("/api/v1/mpesa/reversal/queue", REVERSAL_TIMEOUT_PATH),
        CallbackKind.REVERSAL_TIMEOUT,
        "Daraja's Transaction Reversal queue time-out notice (QueueTimeOutURL)",
        parse_reversal_result,
        "reversal_callback_reception",
        _AS_QUEUE_TIMEOUT,
        (ReversalResultEnvelope, _QUEUED),
    ),
    CallbackRoute(
        "reversal_status_result",
        (REVERSAL_STATUS_PATH,),
        CallbackKind.REVERSAL_STATUS,
        "Daraja's Transaction Status answer about a reversal (ResultURL)",
        parse_transaction_status,
        "reversal_status_reception",
        _reversal_status_result,
        _STATUS_BODY,
    ),
    CallbackRoute(
        "reversal_status_timeout",
        (REVERSAL_STATUS_TIMEOUT_PATH,),
        CallbackKind.REVERSAL_STATUS,
        "Daraja's Transaction Status time-out about a reversal",
        bytes,
        "reversal_status_reception",
        _reversal_status_timeout,
    ),
)


def _provided(name: str) -> Provide:
    """The app's provider `name` under the handler's own parameter name: a provider whose one parameter is
    `name`, which Litestar resolves from the app's dependencies and this hands on."""

    def provide(**provided: Any) -> Any:
        return provided[name]

    # Marked a named dependency, so that a row naming a provider nobody provides fails when the app is built
    # (entrypoints.app.check_wiring), not as a missing query parameter at the first callback.
    named = Annotated[Any, Dependency(kind="named")]  # what NamedDependency[Any] is, built at run time
    parameter = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=named)
    setattr(provide, "__signature__", inspect.Signature([parameter], return_annotation=Any))  # noqa: B010
    provide.__annotations__ = {name: named, "return": Any}
    return Provide(provide, sync_to_thread=False)


def _route_handler(route: CallbackRoute[Any, Any]) -> HTTPRouteHandler:
    async def handler(
        request: Request[Any, Any, Any],
        hash: str,  # the URL's name for the callback token, the record's secret the gateway put in the URL
        reception: NamedDependency[CallbackReception[Any]],
    ) -> DarajaAnswer:
        callback_token = hash

        async def apply(result: Any, in_hand: CallbackInHand) -> str:
            return await route.apply(reception.use_case, callback_token, result, in_hand, reception.metrics)

        arrival = Arrival(route.kind, callback_token, route.name, reception.names_record)
        return await _receive(request, arrival, route.parse, apply, reception)

    handler.__name__ = handler.__qualname__ = route.name  # the operation id ends with it
    return post(
        [f"{path}/{{hash:str}}" for path in route.paths],
        status_code=200,
        summary=route.summary,
        operation_class=Operation if route.body is None else json_body(*route.body),
        dependencies={"reception": _provided(route.reception)},
    )(handler)


# Registered in app.py as the controller it replaced was; by name, the order a controller lists its handlers in
# (the OpenAPI document's order of paths).
DarajaCallbackController = Router(
    "/",
    route_handlers=[_route_handler(route) for route in sorted(CALLBACK_ROUTES, key=lambda route: route.name)],
    tags=["Daraja callbacks"],
    request_max_body_size=CALLBACK_MAX_BODY_BYTES,
)


async def _receive(
    request: Request[Any, Any, Any],
    arrival: Arrival,
    parse: Callable[[bytes], ResultT],
    apply: Callable[[ResultT, CallbackInHand], Awaitable[str]],
    reception: CallbackReception[Any],
) -> DarajaAnswer:
    answer = await _answer_callback(request, arrival, parse, apply, reception)
    reception.metrics.callback(arrival.kind.value, accepted=answer.status_code == 200)
    return answer


async def _answer_callback(
    request: Request[Any, Any, Any],
    arrival: Arrival,
    parse: Callable[[bytes], ResultT],
    apply: Callable[[ResultT, CallbackInHand], Awaitable[str]],
    reception: CallbackReception[Any],
) -> DarajaAnswer:
    metrics, callback_sources = reception.metrics, reception.sources
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
    journal = _Journal(request, arrival, body, source, reception.journal, metrics)
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
            outcome = await apply(result, journal.in_hand)
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
        # Applied (or acknowledged): the use case found the record by its token, so this is kept whole: in the
        # record, by the write that applied it, or else (a repeat, a status answer) in the journal. Should the store
        # fail just now, the callback is logged in full, and Daraja still gets its 200: it was applied.
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
        # The headers as they came off the wire (ASGI keeps them as latin-1 bytes, in order, repeats included).
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.scope["headers"]]
        self.in_hand = journal_callback.in_hand(arrival.kind, arrival.token, body, headers, source, self.id)

    async def in_full(self) -> None:
        kind = self._arrival.kind
        if self.in_hand.kept_with_record:  # the write that applied it kept it: nothing more to store
            self._metrics.callback_journaled(kind.value, "record")
            return
        self._metrics.callback_journaled(kind.value, "full")
        with suppress(StoreUnavailableError):  # JournalCallback logged all of it
            await self._journal_callback.record(self.in_hand.callback, self.id)

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
