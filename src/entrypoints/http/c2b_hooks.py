"""Daraja's C2B validation and confirmation calls (docs/c2b.md, "The gateway's routes").

Unlike the STK and B2C callbacks, whose URL carries a token of one record, Register URL fixes one pair of URLs per
shortcode, so their last segment is one per-deployment secret (C2B_HOOK_SECRET). A path with any other secret, or
any path while the secret is unset, answers 404 before the body is read: whoever guessed the route learns nothing and
stores nothing.
"""

import hmac
from typing import Any

import structlog
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from pydantic import SecretStr

from domain.c2b.confirmation import C2bTransaction
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.c2b.use_cases.validate_payment import ValidatePayment
from domain.c2b.validation import ValidationCode
from domain.shared.errors import DomainError, StoreUnavailableError
from entrypoints.http.daraja_c2b_body import C2bBody, parse_c2b_body
from entrypoints.http.openapi_bodies import json_body
from entrypoints.metrics import GatewayMetrics
from entrypoints.protocol.json_bounds import MAXIMUM_DOCUMENT_BYTES
from entrypoints.settings import C2B_CONFIRMATION_PATH, C2B_VALIDATION_PATH

logger = structlog.get_logger()

# Daraja's own acknowledgement of a confirmation; it reads nothing else from the answer.
CONFIRMATION_ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
DarajaAnswer = Response[dict[str, Any]]


class C2bHookSecret:
    """The per-deployment secret of the C2B URLs, compared in constant time so its prefix cannot be probed."""

    def __init__(self, secret: SecretStr | None) -> None:
        self._secret = None if secret is None else secret.get_secret_value().encode()

    def admits(self, candidate: str) -> bool:
        return self._secret is not None and hmac.compare_digest(self._secret, candidate.encode())


class C2bHooks:
    """All the C2B routes ask Litestar for, as one object (one dependency per request: entrypoints.http.callbacks's
    CallbackReception says why)."""

    __slots__ = ("confirm", "metrics", "secret", "validate")

    def __init__(
        self, secret: C2bHookSecret, validate: ValidatePayment, confirm: ConfirmPayment, metrics: GatewayMetrics
    ) -> None:
        self.secret, self.validate, self.confirm, self.metrics = secret, validate, confirm, metrics


async def _body(request: Request[Any, Any, Any], secret: str, c2b_hook_secret: C2bHookSecret) -> bytes | None:
    if not c2b_hook_secret.admits(secret):
        logger.warning("security_c2b_hook_unknown_secret", path=request.url.path.rsplit("/", 1)[0])
        raise NotFoundException()
    try:
        return await request.body()
    except RequestEntityTooLarge:
        logger.warning("security_callback_too_large", callback="c2b", limit=MAXIMUM_DOCUMENT_BYTES)
        return None


def _parse(raw: bytes, *, confirmation: bool, callback: str) -> C2bTransaction | None:
    try:
        return parse_c2b_body(raw, confirmation=confirmation)
    except DomainError as error:
        logger.warning("callback_malformed", callback=callback, reason=error.message)
        return None


class C2bHooksController(Controller):
    tags = ["Daraja callbacks"]
    request_max_body_size = MAXIMUM_DOCUMENT_BYTES

    @post(
        C2B_VALIDATION_PATH + "/{secret:str}",
        status_code=200,
        summary="Daraja's C2B validation call (ValidationURL)",
        operation_class=json_body(C2bBody, "Daraja's C2B validation body (docs/daraja.md#c2b-confirmation)"),
    )
    async def validation(
        self,
        request: Request[Any, Any, Any],
        secret: str,
        c2b_hooks: NamedDependency[C2bHooks],
    ) -> DarajaAnswer:
        raw = await _body(request, secret, c2b_hooks.secret)
        transaction = None if raw is None else _parse(raw, confirmation=False, callback="c2b_validation")
        if transaction is None:
            c2b_hooks.metrics.callback("c2b_validation", accepted=False)
            status = 400 if raw is not None else 413
            return Response(
                {"ResultCode": ValidationCode.OTHER_ERROR.value, "ResultDesc": "Rejected"}, status_code=status
            )
        decision = await c2b_hooks.validate(transaction)
        c2b_hooks.metrics.callback("c2b_validation", accepted=True)
        return Response({"ResultCode": decision.code.value, "ResultDesc": decision.result_desc}, status_code=200)

    @post(
        C2B_CONFIRMATION_PATH + "/{secret:str}",
        status_code=200,
        summary="Daraja's C2B confirmation (ConfirmationURL)",
        operation_class=json_body(C2bBody, "Daraja's C2B confirmation body (docs/daraja.md#c2b-confirmation)"),
    )
    async def confirmation(
        self,
        request: Request[Any, Any, Any],
        secret: str,
        c2b_hooks: NamedDependency[C2bHooks],
    ) -> DarajaAnswer:
        raw = await _body(request, secret, c2b_hooks.secret)
        transaction = None if raw is None else _parse(raw, confirmation=True, callback="c2b_confirmation")
        if transaction is None:
            c2b_hooks.metrics.callback("c2b_confirmation", accepted=False)
            status = 400 if raw is not None else 413
            return Response({"ResultCode": 1, "ResultDesc": "Rejected: malformed confirmation"}, status_code=status)
        try:
            await c2b_hooks.confirm(transaction)  # which logs the payment, or its repeat
        except StoreUnavailableError:
            # The money has moved and Daraja may not call again: the log keeps the receipt for booking by hand.
            logger.error(
                "c2b_confirmation_unrecorded",
                trans_id=transaction.trans_id,
                amount=transaction.amount,
                reference=transaction.reference,
                payer=transaction.payer.masked,
            )
            c2b_hooks.metrics.callback("c2b_confirmation", accepted=False)
            return Response({"ResultCode": 1, "ResultDesc": "Rejected: temporarily unavailable"}, status_code=503)
        c2b_hooks.metrics.callback("c2b_confirmation", accepted=True)
        return Response(CONFIRMATION_ACCEPTED, status_code=200)
