from domain.shared.error_codes import ErrorCode
from domain.shared.errors import DomainError


class ReversalPaymentNotFoundError(DomainError):
    """No payment the gateway knows carries this M-PESA receipt."""

    code = ErrorCode.REVERSAL_PAYMENT_NOT_FOUND

    def __init__(self, receipt: str) -> None:
        super().__init__(f"no payment has the M-PESA receipt {receipt}", [{"field": "receipt", "receipt": receipt}])


class ReversalNotCompletedError(DomainError):
    """The payment with this receipt is not a completed one, so there is nothing to give back."""

    code = ErrorCode.REVERSAL_NOT_COMPLETED

    def __init__(self, receipt: str, status: str) -> None:
        super().__init__(
            f"the payment with receipt {receipt} is {status}, not completed",
            [{"field": "receipt", "receipt": receipt, "status": status}],
        )


class ReversalAlreadyRequestedError(DomainError):
    """A reversal of this receipt is in progress or done; only a failed one may be followed by a new request."""

    code = ErrorCode.REVERSAL_ALREADY_REQUESTED

    def __init__(self, receipt: str) -> None:
        details = [{"field": "receipt", "receipt": receipt}]
        super().__init__(f"a reversal of receipt {receipt} is already in progress or done", details)


class ReversalNotFoundError(DomainError):
    code = ErrorCode.REVERSAL_NOT_FOUND

    def __init__(self, reversal_id: str) -> None:
        super().__init__(f"no reversal {reversal_id}")
