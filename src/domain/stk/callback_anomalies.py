"""Which anomaly an STK callback that was not applied is, and the record of it (domain/callbacks/disagreement.py)."""

from datetime import datetime

from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.disagreement import Disagreement, differs
from domain.callbacks.received_callback import CallbackKind
from domain.stk.payment import Payment, StkResult
from domain.stk.result_codes import PaymentStatus, stk_result_meaning


def stk_disagreement(payment: Payment, result: StkResult) -> Disagreement | None:
    """What a callback for a final payment is, or None when it repeats the stored outcome."""
    if payment.checkout is not None and result.checkout != payment.checkout:
        return Disagreement(AnomalyKind.REJECTED, "the callback names another CheckoutRequestID")
    if payment.merchant_request is not None and result.merchant_request != payment.merchant_request:
        return Disagreement(AnomalyKind.REJECTED, "the callback names another MerchantRequestID")
    if result.result_code == payment.result_code:
        return None
    if stk_result_meaning(result.result_code).status is PaymentStatus.SUCCESS:
        return Disagreement(AnomalyKind.LATE_SUCCESS, f"a success callback for a payment already {payment.status}")
    return differs(result.result_code, payment.status, payment.result_code)


def stk_anomaly(
    kind: AnomalyKind, reason: str, payment: Payment | None, result: StkResult, at: datetime, journal_id: str | None
) -> Anomaly:
    return Anomaly(
        kind,
        CallbackKind.STK,
        reason,
        at,
        journal_id,
        payment_id=None if payment is None else payment.id,
        checkout=result.checkout,
        merchant_request=result.merchant_request,
        result_code=result.result_code,
        stored_status=None if payment is None else payment.status.value,
        stored_result_code=None if payment is None else payment.result_code,
    )
