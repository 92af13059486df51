"""Views for an operator: callback anomalies, the callbacks stored for one record, payments and withdrawals stuck
outside a final state, the account balances; and two actions, asking Daraja for the balance now and registering the
C2B URLs.

Behind a bearer token (OPERATOR_TOKEN), compared in constant time. With no token set the routes are not exposed:
they answer 404 as an unknown path does, before anything else about the request is read.
"""

import hmac
from datetime import timedelta
from typing import Annotated, Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from domain.balances.balance_check import CheckTrigger
from domain.balances.use_cases.check_balance import CheckBalance
from domain.balances.use_cases.show_balances import ShowBalances
from domain.c2b.use_cases.register_urls import RegisterUrls
from domain.callbacks.anomaly import AnomalyKind
from domain.callbacks.use_cases.list_anomalies import ListAnomalies
from domain.callbacks.use_cases.show_callback_trail import ShowCallbackTrail
from domain.records.use_cases.list_stuck_records import ListStuckRecords
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import DomainError
from entrypoints.protocol.errors import HTTP_STATUS, error_reply, ok_reply

logger = structlog.get_logger()

_MOST = 500
_LONGEST_WAIT_SECONDS = 90 * 24 * 3600


class OperatorUnauthorizedError(DomainError):
    """A request for an operator route without the operator's bearer token."""

    code = ErrorCode.UNAUTHORIZED

    def __init__(self) -> None:
        super().__init__("this route needs the operator's bearer token")


def authorized_operator(request: Request[Any, Any, Any], operator_token: NamedDependency[str | None]) -> None:
    """Let the request through only with `Authorization: Bearer <OPERATOR_TOKEN>`."""
    if not operator_token:
        raise NotFoundException()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), operator_token.encode()):
        source = request.client.host if request.client else None
        logger.warning("security_operator_refused", path=request.url.path, source=source)
        raise OperatorUnauthorizedError()


def unauthorized(_: Request[Any, Any, Any], error: OperatorUnauthorizedError) -> Response[dict[str, Any]]:
    return Response(
        error_reply("error", None, error), status_code=HTTP_STATUS[error.code], headers={"WWW-Authenticate": "Bearer"}
    )


class OperatorController(Controller):
    path = "/api/v1/operator"
    tags = ["Operator"]
    # Resolved before the query is read, so a refused request learns nothing from parameter errors.
    dependencies = {"operator": Provide(authorized_operator, sync_to_thread=False)}
    exception_handlers = {OperatorUnauthorizedError: unauthorized}

    @get("/anomalies", summary="Callbacks not applied: disagreeing duplicates, late successes, rejections")
    async def anomalies(
        self,
        operator: NamedDependency[None],
        list_anomalies: NamedDependency[ListAnomalies],
        limit: Annotated[int, Parameter(ge=1, le=_MOST)] = 50,
        kind: AnomalyKind | None = None,
    ) -> dict[str, Any]:
        found = await list_anomalies(limit, kind)
        return ok_reply("anomalies", None, {"anomalies": [anomaly.view() for anomaly in found]})

    @get(
        "/callbacks/{record_id:str}",
        summary="Every callback stored for one payment or withdrawal, in arrival order",
        description="The one that applied is kept in the record (`kept_in: record`), every other in the journal.",
    )
    async def callbacks(
        self,
        operator: NamedDependency[None],
        show_callback_trail: NamedDependency[ShowCallbackTrail],
        record_id: str,
    ) -> dict[str, Any]:
        found = await show_callback_trail(record_id)
        data = {"record_id": record_id, "callbacks": [entry.view() for entry in found]}
        return ok_reply("callbacks", None, data)

    @get("/stuck", summary="Payments, withdrawals and reversals outside a final state, unchanged for a while")
    async def stuck(
        self,
        operator: NamedDependency[None],
        list_stuck_records: NamedDependency[ListStuckRecords],
        older_than_seconds: Annotated[int, Parameter(ge=0, le=_LONGEST_WAIT_SECONDS)] = 300,
        limit: Annotated[int, Parameter(ge=1, le=_MOST)] = 100,
    ) -> dict[str, Any]:
        found = await list_stuck_records(timedelta(seconds=older_than_seconds), limit)
        data = {"older_than_seconds": older_than_seconds, "records": [record.view() for record in found]}
        return ok_reply("stuck", None, data)

    @get("/balances", summary="The latest balance of every account, with the last balance check")
    async def balances(
        self, operator: NamedDependency[None], show_balances: NamedDependency[ShowBalances]
    ) -> dict[str, Any]:
        return ok_reply("balances", None, (await show_balances()).view())

    @post(
        "/balance/check",
        status_code=202,
        summary="Ask Daraja for the account balance now; the balances arrive with its Result",
    )
    async def check_balance(
        self, operator: NamedDependency[None], check_balance: NamedDependency[CheckBalance]
    ) -> dict[str, Any]:
        check = await check_balance(CheckTrigger.OPERATOR)
        return ok_reply("balance_check", None, check.view())

    @post(
        "/c2b/register-urls",
        status_code=200,
        summary="Register the gateway's C2B validation and confirmation URLs with Daraja for C2B_SHORTCODE",
        description="409 C2B_NOT_CONFIGURED when C2B_HOOK_SECRET is unset (nothing is sent); docs/c2b.md.",
    )
    async def register_c2b_urls(
        self, operator: NamedDependency[None], register_c2b_urls: NamedDependency[RegisterUrls]
    ) -> dict[str, Any]:
        return ok_reply("c2b_registration", None, (await register_c2b_urls()).view())
