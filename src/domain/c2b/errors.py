from domain.shared.error_codes import ErrorCode
from domain.shared.errors import DomainError, ValidationError


class ReferenceTakenError(ValidationError):
    """An open payment request already holds the account reference: customers' payments could not tell them apart."""

    def __init__(self) -> None:
        super().__init__("account_reference", "is held by an open payment request")


class C2bNotConfiguredError(DomainError):
    """No C2B hook secret is set: the gateway serves no validation or confirmation URL, so it registers none."""

    code = ErrorCode.C2B_NOT_CONFIGURED

    def __init__(self) -> None:
        super().__init__("C2B is not configured: set C2B_HOOK_SECRET, then register the URLs")


class RequestClosedError(DomainError):
    """The payment request takes no more payments (paid, over- or underpaid, expired)."""

    code = ErrorCode.C2B_REQUEST_CLOSED

    def __init__(self, status: str) -> None:
        super().__init__(f"the payment request is {status}: it takes no more payments")
