"""The one catalogue of error codes a client can receive, with what each means."""

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_JSON = "INVALID_JSON"
    UNKNOWN_KIND = "UNKNOWN_KIND"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    PROVIDER_ERROR = "PROVIDER_ERROR"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    CALLBACK_REJECTED = "CALLBACK_REJECTED"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    WEBHOOK_NOT_FOUND = "WEBHOOK_NOT_FOUND"
    WEBHOOK_DESTINATION_NOT_ALLOWED = "WEBHOOK_DESTINATION_NOT_ALLOWED"
    C2B_NOT_CONFIGURED = "C2B_NOT_CONFIGURED"
    C2B_REQUEST_CLOSED = "C2B_REQUEST_CLOSED"
    REVERSAL_PAYMENT_NOT_FOUND = "REVERSAL_PAYMENT_NOT_FOUND"
    REVERSAL_NOT_COMPLETED = "REVERSAL_NOT_COMPLETED"
    REVERSAL_ALREADY_REQUESTED = "REVERSAL_ALREADY_REQUESTED"
    REVERSAL_NOT_FOUND = "REVERSAL_NOT_FOUND"


ERROR_CATALOGUE: dict[ErrorCode, str] = {
    ErrorCode.INVALID_JSON: "The frame is not a JSON object (not valid JSON, or an array, number or string).",
    ErrorCode.UNKNOWN_KIND: "`kind` is missing or is not one this endpoint serves.",
    ErrorCode.VALIDATION_ERROR: "The message or a field breaks a rule; `details` names each field and rule.",
    ErrorCode.UNAUTHORIZED: "The request needs credentials it did not carry, or carried wrong ones.",
    ErrorCode.NOT_FOUND: "No payment with that id on this hash.",
    ErrorCode.LIMIT_EXCEEDED: (
        "A withdrawal is outside the per-withdrawal minimum or maximum, or would pass the hash's daily total; "
        "nothing was queued."
    ),
    ErrorCode.IDEMPOTENCY_CONFLICT: (
        "The idempotency key (`ref`, or the Idempotency-Key header) was used on this hash within 24 hours for a "
        "different request; nothing was done."
    ),
    ErrorCode.RATE_LIMITED: (
        "Too many requests or sockets: a phone already has a pending prompt or had too many, or a hash or address sent "
        "too many messages; `details` carries `retry_after` (seconds); nothing was done."
    ),
    ErrorCode.STORE_UNAVAILABLE: "The database cannot be reached; nothing was done and nothing was sent to Daraja.",
    ErrorCode.PROVIDER_ERROR: "Daraja refused the request; `details` carries Daraja's code and message.",
    ErrorCode.PROVIDER_UNAVAILABLE: (
        "Daraja could not be reached or did not answer in time. The payment is kept; when the request may have "
        "reached Daraja its outcome is unknown and is settled by Daraja's callback, never by sending it again."
    ),
    ErrorCode.CALLBACK_REJECTED: "A callback that matches no payment, or contradicts the one it names (HTTP only).",
    ErrorCode.INTERNAL_ERROR: "An unexpected fault in the gateway; nothing about it is shown to the client.",
    ErrorCode.WEBHOOK_NOT_FOUND: "No webhook endpoint with that id (HTTP only).",
    ErrorCode.WEBHOOK_DESTINATION_NOT_ALLOWED: (
        "The webhook URL's host is localhost or a loopback, private, link-local or other non-public address, which "
        "this gateway does not deliver to; nothing was registered (HTTP only)."
    ),
    ErrorCode.C2B_NOT_CONFIGURED: (
        "C2B is not set up on this gateway (C2B_HOOK_SECRET is unset), so it has no validation and confirmation URLs "
        "to register; nothing was sent to Daraja (HTTP and command line only)."
    ),
    ErrorCode.C2B_REQUEST_CLOSED: (
        "The payment request is paid, expired or otherwise closed, so no QR code is drawn for it: a customer "
        "scanning it would pay for nothing (HTTP only)."
    ),
    ErrorCode.REVERSAL_PAYMENT_NOT_FOUND: (
        "No payment the gateway recorded carries that M-PESA receipt; nothing was stored or sent (HTTP only)."
    ),
    ErrorCode.REVERSAL_NOT_COMPLETED: (
        "The payment with that receipt is not completed, so it cannot be reversed; nothing was stored or sent "
        "(HTTP only)."
    ),
    ErrorCode.REVERSAL_ALREADY_REQUESTED: (
        "A reversal of that receipt is in progress or done; only after one failed may it be asked again; nothing "
        "was stored or sent (HTTP only)."
    ),
    ErrorCode.REVERSAL_NOT_FOUND: "No reversal with that id (HTTP only).",
}
