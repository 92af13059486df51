"""Which anomaly a B2C result or time-out notice not applied is, and its record (domain/callbacks/disagreement.py)."""

from datetime import datetime

from domain.b2c.result_codes import WithdrawalStatus, b2c_result_meaning
from domain.b2c.withdrawal import B2cResult, Withdrawal
from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.disagreement import Disagreement, differs
from domain.callbacks.received_callback import CallbackKind


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
    return differs(result.result_code, withdrawal.status, withdrawal.result_code)


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
