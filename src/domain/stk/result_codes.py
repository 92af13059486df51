"""What each M-PESA result code means for a payment: the one dictionary the callback handler,
the reconciler and the simulator share (docs/daraja.md#stk-result-codes)."""

from dataclasses import dataclass
from enum import StrEnum


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"

    @property
    def is_final(self) -> bool:
        return self is not PaymentStatus.PENDING


@dataclass(frozen=True, slots=True)
class ResultMeaning:
    status: PaymentStatus
    message: str


SUCCESS_CODE = "0"

STK_RESULT_CODES: dict[str, ResultMeaning] = {
    "0": ResultMeaning(PaymentStatus.SUCCESS, "Payment received."),
    "1": ResultMeaning(PaymentStatus.FAILED, "The M-PESA balance is not enough for this payment."),
    "2": ResultMeaning(PaymentStatus.FAILED, "The amount is below the M-PESA minimum."),
    "3": ResultMeaning(PaymentStatus.FAILED, "The amount is above the M-PESA maximum per transaction."),
    "4": ResultMeaning(PaymentStatus.FAILED, "The payment would exceed the customer's daily M-PESA limit."),
    "8": ResultMeaning(PaymentStatus.FAILED, "The payment would exceed the maximum M-PESA account balance."),
    "17": ResultMeaning(PaymentStatus.FAILED, "The same amount was just paid; wait two minutes and try again."),
    "26": ResultMeaning(PaymentStatus.FAILED, "M-PESA is busy; try again shortly."),
    "1001": ResultMeaning(PaymentStatus.FAILED, "The phone is busy with another M-PESA session; try again shortly."),
    "1019": ResultMeaning(PaymentStatus.TIMEOUT, "The payment request expired before it was completed."),
    "1025": ResultMeaning(PaymentStatus.FAILED, "M-PESA could not send the prompt to the phone."),
    "1032": ResultMeaning(PaymentStatus.CANCELLED, "The customer cancelled the payment."),
    "1037": ResultMeaning(PaymentStatus.TIMEOUT, "The phone could not be reached or the customer did not answer."),
    "2001": ResultMeaning(PaymentStatus.FAILED, "The M-PESA PIN entered was wrong."),
    "2028": ResultMeaning(PaymentStatus.FAILED, "The merchant account is not set up for this kind of payment."),
    "8006": ResultMeaning(PaymentStatus.FAILED, "The customer's M-PESA PIN is locked."),
    "9999": ResultMeaning(PaymentStatus.FAILED, "M-PESA could not send the payment request."),
    "SFC_IC0003": ResultMeaning(PaymentStatus.FAILED, "The merchant account is not set up for this kind of payment."),
}

_UNLISTED = ResultMeaning(PaymentStatus.FAILED, "M-PESA did not complete the payment.")


def stk_result_meaning(code: str) -> ResultMeaning:
    """Only code 0 is ever money received; an unlisted code is a failure, never a success."""
    return STK_RESULT_CODES.get(code, _UNLISTED)
