"""Which anomaly a callback that was not applied is, and the record of it: rules the callback use-cases share.

A repeat that agrees with the final record is no anomaly. One that names other Daraja ids is refused (the token
alone does not make it genuine); a success for a record final without one means money may have moved; any other
differing result code is a disagreement.
"""

from dataclasses import dataclass
from datetime import datetime

from domain.b2c.result_codes import WithdrawalStatus, b2c_result_meaning
from domain.b2c.withdrawal import B2cResult, Withdrawal
from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.received_callback import CallbackKind
from domain.stk.payment import Payment, StkResult
from domain.stk.result_codes import PaymentStatus, stk_result_meaning


@dataclass(frozen=True, slots=True)
class Disagreement:
    kind: AnomalyKind
    reason: str


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
    return _differs(result.result_code, payment.status, payment.result_code)


def b2c_disagreement(withdrawal: Withdrawal, result: B2cResult, queue_timeout: bool) -> Disagreement | None:
    """What a Result or time-out notice for a withdrawal past that step is, or None when it repeats the stored one."""
    if result.originator_conversation_id != withdrawal.originator_conversation_id:
        return Disagreement(AnomalyKind.REJECTED, "the result names another OriginatorConversationID")
    if withdrawal.conversation_id is not None and result.conversation_id != withdrawal.conversation_id:
        return Disagreement(AnomalyKind.REJECTED, "the result names another ConversationID")
    if result.result_code == withdrawal.result_code:
        return None
    paid = b2c_result_meaning(result.result_code).status is WithdrawalStatus.SUCCESS
    if paid and not queue_timeout and withdrawal.status is not WithdrawalStatus.SUCCESS:
        return Disagreement(AnomalyKind.LATE_SUCCESS, f"a success result for a withdrawal already {withdrawal.status}")
    return _differs(result.result_code, withdrawal.status, withdrawal.result_code)


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


def b2c_anomaly(
    kind: AnomalyKind,
    reason: str,
    withdrawal: Withdrawal | None,
    result: B2cResult,
    queue_timeout: bool,
    at: datetime,
    journal_id: str | None,
) -> Anomaly:
    return Anomaly(
        kind,
        CallbackKind.B2C_TIMEOUT if queue_timeout else CallbackKind.B2C_RESULT,
        reason,
        at,
        journal_id,
        withdrawal_id=None if withdrawal is None else withdrawal.id,
        originator_conversation_id=result.originator_conversation_id,
        conversation_id=result.conversation_id,
        result_code=result.result_code,
        stored_status=None if withdrawal is None else withdrawal.status.value,
        stored_result_code=None if withdrawal is None else withdrawal.result_code,
    )


def _differs(code: str, status: str, stored_code: str | None) -> Disagreement:
    reason = f"the callback says result code {code}; the record is {status} with code {stored_code}"
    return Disagreement(AnomalyKind.DUPLICATE_DISAGREES, reason)
