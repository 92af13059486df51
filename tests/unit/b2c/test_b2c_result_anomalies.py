"""B2C Results and time-out notices that are not applied: agreeing repeats leave no trace, the rest are anomalies."""

from dataclasses import replace

import pytest

from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.callbacks.anomaly import AnomalyKind, Severity
from domain.callbacks.outcome import CallbackOutcome
from domain.callbacks.received_callback import CallbackKind
from domain.shared.amount import Amount
from domain.shared.errors import CallbackRejectedError, UnknownCallbackTokenError
from tests.support.factories import b2c_failure_for, b2c_success_for, queue_timeout_for, submitted_withdrawal
from tests.unit.fakes import FakeAnomalies, FakeBroadcaster, FakeDailyAllowance, FakeWithdrawalRepository, FixedClock

JOURNAL_ID = "journal-9"


@pytest.fixture
def handle(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    anomalies: FakeAnomalies,
) -> HandleB2cResult:
    return HandleB2cResult(withdrawals, allowance, broadcaster, clock, anomalies)


async def stored(withdrawals: FakeWithdrawalRepository, withdrawal: Withdrawal) -> str:
    await withdrawals.add(withdrawal)
    return withdrawal.callback_token


async def test_a_repeated_result_that_agrees_records_no_anomaly(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, anomalies: FakeAnomalies
) -> None:
    withdrawal = submitted_withdrawal(status=WithdrawalStatus.FAILED, result_code="2001")
    token = await stored(withdrawals, withdrawal)

    outcome = await handle(token, b2c_failure_for(withdrawal, "2001"), queue_timeout=False, journal_id=JOURNAL_ID)

    assert outcome is CallbackOutcome.DUPLICATE
    assert withdrawals.get(withdrawal.id) == withdrawal
    assert anomalies.recorded == []


async def test_a_repeated_queue_timeout_records_no_anomaly(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, anomalies: FakeAnomalies
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, withdrawal)
    await handle(token, queue_timeout_for(withdrawal), queue_timeout=True)

    outcome = await handle(token, queue_timeout_for(withdrawal), queue_timeout=True, journal_id=JOURNAL_ID)

    assert outcome is CallbackOutcome.DUPLICATE
    assert anomalies.recorded == []


async def test_a_queue_timeout_after_success_is_acknowledged_and_recorded_as_disagreeing(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, anomalies: FakeAnomalies, clock: FixedClock
) -> None:
    withdrawal = submitted_withdrawal(status=WithdrawalStatus.SUCCESS, result_code="0", receipt="SG632NMUAB")
    token = await stored(withdrawals, withdrawal)

    outcome = await handle(token, queue_timeout_for(withdrawal), queue_timeout=True, journal_id=JOURNAL_ID)

    [anomaly] = anomalies.recorded
    assert outcome is CallbackOutcome.DUPLICATE
    assert withdrawals.get(withdrawal.id) == withdrawal
    assert (anomaly.kind, anomaly.severity, anomaly.callback) == (
        AnomalyKind.DUPLICATE_DISAGREES,
        Severity.WARNING,
        CallbackKind.B2C_TIMEOUT,
    )
    assert (anomaly.withdrawal_id, anomaly.originator_conversation_id, anomaly.conversation_id) == (
        withdrawal.id,
        withdrawal.originator_conversation_id,
        withdrawal.conversation_id,
    )
    assert (anomaly.result_code, anomaly.stored_status, anomaly.stored_result_code) == ("1", "success", "0")
    assert (anomaly.journal_id, anomaly.at) == (JOURNAL_ID, clock.now())


@pytest.mark.parametrize("final", [WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED])
async def test_a_success_for_a_withdrawal_final_without_one_is_a_late_success(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    anomalies: FakeAnomalies,
    final: WithdrawalStatus,
) -> None:
    withdrawal = submitted_withdrawal(status=final, result_code="2001")
    token = await stored(withdrawals, withdrawal)

    outcome = await handle(token, b2c_success_for(withdrawal), queue_timeout=False, journal_id=JOURNAL_ID)

    [anomaly] = anomalies.recorded
    assert outcome is CallbackOutcome.DUPLICATE
    assert withdrawals.get(withdrawal.id).status is final
    assert (anomaly.kind, anomaly.severity, anomaly.callback) == (
        AnomalyKind.LATE_SUCCESS,
        Severity.CRITICAL,
        CallbackKind.B2C_RESULT,
    )
    assert (anomaly.result_code, anomaly.stored_status) == ("0", final.value)


async def test_a_result_for_an_unknown_token_is_recorded_as_rejected(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, anomalies: FakeAnomalies
) -> None:
    withdrawal = submitted_withdrawal()
    await stored(withdrawals, withdrawal)

    with pytest.raises(UnknownCallbackTokenError):
        await handle("not-a-token", b2c_success_for(withdrawal), queue_timeout=False, journal_id=JOURNAL_ID)

    [anomaly] = anomalies.recorded
    assert (anomaly.kind, anomaly.withdrawal_id, anomaly.journal_id) == (AnomalyKind.REJECTED, None, JOURNAL_ID)
    assert anomaly.originator_conversation_id == withdrawal.originator_conversation_id


@pytest.mark.parametrize(
    ("contradiction", "reason"),
    [
        ({"amount": 10}, "amount"),
        ({"originator_conversation_id": "f00-not-mine"}, "OriginatorConversationID"),
        ({"conversation_id": "AG_20250314_not_mine"}, "ConversationID"),
    ],
    ids=["amount", "originator-id", "conversation-id"],
)
async def test_a_result_contradicting_its_withdrawal_is_recorded_as_rejected_with_the_reason(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    anomalies: FakeAnomalies,
    contradiction: dict[str, object],
    reason: str,
) -> None:
    withdrawal = submitted_withdrawal(amount=Amount(500))
    token = await stored(withdrawals, withdrawal)

    with pytest.raises(CallbackRejectedError):
        await handle(token, b2c_success_for(withdrawal, **contradiction), queue_timeout=False)

    [anomaly] = anomalies.recorded
    assert (anomaly.kind, anomaly.withdrawal_id, anomaly.stored_status) == (
        AnomalyKind.REJECTED,
        withdrawal.id,
        "submitted",
    )
    assert reason in anomaly.reason
    assert withdrawals.get(withdrawal.id) == withdrawal


async def test_a_result_naming_other_ids_for_a_final_withdrawal_is_rejected_and_changes_nothing(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, anomalies: FakeAnomalies
) -> None:
    withdrawal = submitted_withdrawal(status=WithdrawalStatus.SUCCESS, result_code="0", receipt="SG632NMUAB")
    token = await stored(withdrawals, withdrawal)
    forged = replace(b2c_success_for(withdrawal), conversation_id="AG_20250314_forged")

    with pytest.raises(CallbackRejectedError):
        await handle(token, forged, queue_timeout=False)

    assert anomalies.kinds() == [AnomalyKind.REJECTED]
    assert withdrawals.get(withdrawal.id) == withdrawal
