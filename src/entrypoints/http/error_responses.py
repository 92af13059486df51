"""Every error over HTTP has the socket protocol's shape; codes map to HTTP statuses in one table."""

from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from domain.shared.error_codes import ErrorCode
from domain.shared.errors import DomainError, NotFoundError, RateLimitedError, ValidationError
from entrypoints.protocol.errors import HTTP_STATUS, InvalidJsonError, RequestRefusedError, error_reply, internal_error

logger = structlog.get_logger()


def _reply(error: DomainError) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimitedError) else None
    if error.code is ErrorCode.UNAUTHORIZED:
        headers = {"WWW-Authenticate": "Bearer"}
    return Response(error_reply("error", None, error), status_code=HTTP_STATUS[error.code], headers=headers)


def domain_error_handler(_: Request[Any, Any, Any], error: DomainError) -> Response[dict[str, Any]]:
    return _reply(error)


def validation_exception_handler(_: Request[Any, Any, Any], error: ValidationException) -> Response[dict[str, Any]]:
    if "json" in str(error.detail).lower() and not error.extra:
        return _reply(InvalidJsonError("the body is not valid JSON"))
    extra = error.extra if isinstance(error.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    key = str(first.get("key") or "body")
    return _reply(ValidationError(key.removeprefix("data."), str(first.get("message") or error.detail)))


def http_exception_handler(request: Request[Any, Any, Any], error: HTTPException) -> Response[dict[str, Any]]:
    if error.status_code >= 500:
        return internal_exception_handler(request, error)
    shown = NotFoundError(str(error.detail)) if error.status_code == 404 else RequestRefusedError(str(error.detail))
    return Response(error_reply("error", None, shown), status_code=error.status_code)


def internal_exception_handler(_: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    logger.error("http_request_failed", error_type=type(error).__name__, exc_info=error)
    return _reply(internal_error())


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_exception_handler,
    HTTPException: http_exception_handler,
    Exception: internal_exception_handler,
}
