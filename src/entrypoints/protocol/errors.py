"""Protocol-level errors and how every error is shown to a client, on a socket or over HTTP."""

from collections.abc import Mapping
from typing import Any

from domain.shared.error_codes import ErrorCode
from domain.shared.errors import DomainError


class InvalidJsonError(DomainError):
    code = ErrorCode.INVALID_JSON


class UnknownKindError(DomainError):
    code = ErrorCode.UNKNOWN_KIND


class RequestRefusedError(DomainError):
    """An HTTP request the framework refused before it reached a use-case (wrong method, bad parameter)."""

    code = ErrorCode.VALIDATION_ERROR


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.UNKNOWN_KIND: 400,
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.LIMIT_EXCEEDED: 422,
    ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.STORE_UNAVAILABLE: 503,
    ErrorCode.CALLBACK_REJECTED: 403,
    ErrorCode.PROVIDER_ERROR: 502,
    ErrorCode.PROVIDER_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.WEBHOOK_NOT_FOUND: 404,
    ErrorCode.WEBHOOK_DESTINATION_NOT_ALLOWED: 400,
    ErrorCode.C2B_NOT_CONFIGURED: 409,
    ErrorCode.C2B_REQUEST_CLOSED: 409,
    ErrorCode.REVERSAL_PAYMENT_NOT_FOUND: 404,
    ErrorCode.REVERSAL_NOT_COMPLETED: 409,
    ErrorCode.REVERSAL_ALREADY_REQUESTED: 409,
    ErrorCode.REVERSAL_NOT_FOUND: 404,
}


def error_reply(kind: str, ref: str | None, error: DomainError) -> dict[str, Any]:
    return {
        "kind": kind,
        "ok": False,
        "ref": ref,
        "error": {"code": error.code.value, "message": error.message, "details": error.details},
    }


def ok_reply(kind: str, ref: str | None, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "ok": True, "ref": ref, "data": data}


def internal_error() -> DomainError:
    return DomainError("the gateway failed to handle this request; it has been logged")
