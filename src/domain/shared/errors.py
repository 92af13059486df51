"""Every business error is a DomainError whose `code` comes from the catalogue."""

from datetime import datetime
from typing import Any, ClassVar

from domain.shared.error_codes import ErrorCode


class DomainError(Exception):
    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class ValidationError(DomainError):
    code = ErrorCode.VALIDATION_ERROR

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}", [{"field": field, "message": rule}])
        self.field = field


class NotFoundError(DomainError):
    code = ErrorCode.NOT_FOUND


class LimitExceededError(DomainError):
    code = ErrorCode.LIMIT_EXCEEDED


class IdempotencyConflictError(DomainError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT


class RateLimitedError(DomainError):
    """A limit against abuse refused the request before anything was stored or sent; retry after `retry_after` s."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, [{"retry_after": retry_after}])
        self.retry_after = retry_after


class PhoneHeldError(Exception):
    """Raised by the payment store: another payment's PIN prompt holds the phone until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"the phone is held by another open prompt until {until.isoformat()}")
        self.until = until


class StoreUnavailableError(DomainError):
    """The store could not be reached; raised by repositories so use-cases stop before anything is sent."""

    code = ErrorCode.STORE_UNAVAILABLE


class ProviderRejectedError(DomainError):
    """Daraja answered and said no: nothing was started, the payment is failed."""

    code = ErrorCode.PROVIDER_ERROR

    def __init__(self, provider_code: str, provider_message: str) -> None:
        super().__init__(
            f"M-PESA refused the request: {provider_message}",
            [{"provider_code": provider_code, "provider_message": provider_message}],
        )
        self.provider_code = provider_code
        self.provider_message = provider_message


class DuplicatePayoutError(DomainError):
    """Daraja refused an OriginatorConversationID it has seen before: the payout was already sent."""

    code = ErrorCode.PROVIDER_ERROR


class ProviderUnavailableError(DomainError):
    code = ErrorCode.PROVIDER_UNAVAILABLE


class ProviderUnreachableError(ProviderUnavailableError):
    """The request never reached Daraja (connection refused, connect time-out): safe to call it failed."""


class ProviderOutcomeUnknownError(ProviderUnavailableError):
    """The request may have reached Daraja (read time-out, reset, 5xx): the outcome must come from Daraja."""


class CallbackRejectedError(DomainError):
    code = ErrorCode.CALLBACK_REJECTED


class UnknownCallbackTokenError(CallbackRejectedError):
    """Refused because no record has the callback URL's token: the journal then keeps only a digest of it."""


class PaymentFinalError(DomainError):
    """A final payment was asked to change; callers treat this as a duplicate, never as a new outcome."""


class ConcurrentUpdateError(DomainError):
    """Someone else changed the payment since it was read; re-read and decide again."""


class UnauthorizedError(DomainError):
    """The client's capability (its token, or an open-mode plain subject) does not allow what it asked for."""

    code = ErrorCode.UNAUTHORIZED


class WebhookNotFoundError(DomainError):
    code = ErrorCode.WEBHOOK_NOT_FOUND

    def __init__(self, endpoint_id: str) -> None:
        super().__init__(f"no webhook endpoint {endpoint_id}")


class WebhookDestinationNotAllowedError(DomainError):
    """A webhook URL names a loopback, private, link-local or otherwise non-public address (SECURITY.md)."""

    code = ErrorCode.WEBHOOK_DESTINATION_NOT_ALLOWED

    def __init__(self) -> None:
        rule = "the host is not a public address (WEBHOOK_ALLOW_PRIVATE_NETWORKS, WEBHOOK_ALLOWED_NETWORKS)"
        super().__init__(f"url: {rule}", [{"field": "url", "message": rule}])
