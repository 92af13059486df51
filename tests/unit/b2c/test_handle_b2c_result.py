from typing import Any

import pytest
from structlog.testing import capture_logs

from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.b2c.use_cases.submit_withdrawal import SubmitNextWithdrawal
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.callbacks.outcome import CallbackOutcome
from domain.shared.amount import Amount
from domain.shared.errors import CallbackRejectedError, ConcurrentUpdateError
from tests.support.factories import (
    WithdrawalFactory,
    b2c_failure_for,
    b2c_success_for,
    in_flight_withdrawal,
    queue_timeout_for,
    submitted_withdrawal,
)
from tests.unit.fakes import (
    FakeAnomalies,
    FakeBroadcaster,
    FakeDailyAllowance,
    FakePayoutProvider,
    FakeWithdrawalRepository,
    FixedClock,
)

TOPIC = "/mpesa/b2c/" + "a1b2c3d4" * 4


@pytest.fixture
def handle(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    anomalies: FakeAnomalies,
) -> HandleB2cResult:
    return HandleB2cResult(withdrawals, allowance, broadcaster, clock, anomalies)


async def stored(withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance, withdrawal: Withdrawal) -> str:
    """Store `withdrawal` with its daily reservation, as RequestWithdrawal left it; its result URL token."""
    assert await allowance.reserve(withdrawal.subject, withdrawal.allowance_day, withdrawal.amount.shillings, 10**9)
    await withdrawals.add(withdrawal)
    return withdrawal.callback_token


def reserved(allowance: FakeDailyAllowance, withdrawal: Withdrawal) -> int:
    return allowance.reserved(withdrawal.subject, withdrawal.allowance_day)


async def test_a_success_result_settles_the_withdrawal_and_is_published(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, b2c_success_for(withdrawal, receipt="SG632NMUAB"), queue_timeout=False)

    after = withdrawals.get(withdrawal.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (after.status, after.receipt, after.updated_at) == (WithdrawalStatus.SUCCESS, "SG632NMUAB", clock.now())
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == [(TOPIC, after.view())]


async def test_a_failure_result_fails_the_withdrawal_and_gives_its_reservation_back(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, b2c_failure_for(withdrawal, "1", "Insufficient funds"), queue_timeout=False)

    after = withdrawals.get(withdrawal.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (after.status, after.result_code) == (WithdrawalStatus.FAILED, "1")
    assert after.view()["message"] == "The business's M-PESA payout account does not hold enough money."
    assert reserved(allowance, withdrawal) == 0
    assert broadcaster.published == [(TOPIC, after.view())]


async def test_a_result_for_a_send_still_in_flight_is_applied(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance
) -> None:
    withdrawal = in_flight_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, b2c_success_for(withdrawal, conversation_id="AG_9"), queue_timeout=False)

    assert outcome is CallbackOutcome.APPLIED
    after = withdrawals.get(withdrawal.id)
    assert (after.status, after.conversation_id, after.lease_owner) == (WithdrawalStatus.SUCCESS, "AG_9", None)


@pytest.mark.parametrize("final", [WithdrawalStatus.SUCCESS, WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED])
async def test_a_result_for_a_final_withdrawal_is_a_duplicate_that_changes_nothing(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    final: WithdrawalStatus,
) -> None:
    withdrawal = submitted_withdrawal(status=final, result_code="0" if final is WithdrawalStatus.SUCCESS else "2001")
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, b2c_failure_for(withdrawal, "2040"), queue_timeout=False)

    assert outcome is CallbackOutcome.DUPLICATE
    assert withdrawals.get(withdrawal.id) == withdrawal
    assert withdrawals.get(withdrawal.id).version == 0
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == []


# A success after a failure is logged as an error: money may have moved while the gateway says it did not.
@pytest.mark.parametrize(("repeated_code", "agrees", "level"), [("2001", True, "warning"), ("0", False, "error")])
async def test_a_duplicate_result_is_logged_saying_whether_it_agrees(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    repeated_code: str,
    agrees: bool,
    level: str,
) -> None:
    withdrawal = submitted_withdrawal(status=WithdrawalStatus.FAILED, result_code="2001")
    token = await stored(withdrawals, allowance, withdrawal)
    result = b2c_success_for(withdrawal) if repeated_code == "0" else b2c_failure_for(withdrawal, repeated_code)

    with capture_logs() as logs:
        await handle(token, result, queue_timeout=False)

    [warning] = [log for log in logs if log["event"] == "b2c_result_duplicate"]
    assert (warning["log_level"], warning["agrees"], warning["stored_result_code"]) == (level, agrees, "2001")


async def test_an_applied_result_is_logged_with_the_phone_masked(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)

    with capture_logs() as logs:
        await handle(token, b2c_success_for(withdrawal), queue_timeout=False)

    [applied] = [log for log in logs if log["event"] == "b2c_result_applied"]
    assert applied["phone"] == withdrawal.phone.masked
    assert withdrawal.phone.msisdn not in str(logs)
    assert (applied["status"], applied["withdrawal_id"]) == ("success", withdrawal.id)


async def test_a_result_for_an_unknown_token_is_rejected(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    withdrawal = submitted_withdrawal()
    await stored(withdrawals, allowance, withdrawal)

    with pytest.raises(CallbackRejectedError):
        await handle("not-a-token", b2c_success_for(withdrawal), queue_timeout=False)

    assert withdrawals.get(withdrawal.id).status is WithdrawalStatus.SUBMITTED
    assert broadcaster.published == []


CONTRADICTIONS: dict[str, dict[str, Any]] = {
    "another amount": {"amount": 10},
    "another originator id": {"originator_conversation_id": "f00-not-mine"},
    "another conversation id": {"conversation_id": "AG_20250314_not_mine"},
}


@pytest.mark.parametrize("contradiction", CONTRADICTIONS.values(), ids=CONTRADICTIONS.keys())
async def test_a_result_that_contradicts_the_withdrawal_is_rejected_and_changes_nothing(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    contradiction: dict[str, Any],
) -> None:
    withdrawal = submitted_withdrawal(amount=Amount(500))
    token = await stored(withdrawals, allowance, withdrawal)

    with pytest.raises(CallbackRejectedError):
        await handle(token, b2c_success_for(withdrawal, **contradiction), queue_timeout=False)

    assert withdrawals.get(withdrawal.id) == withdrawal
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == []


async def test_a_queue_timeout_keeps_the_money_reserved_and_the_withdrawal_is_never_sent_again(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    withdrawal = WithdrawalFactory.build(status=WithdrawalStatus.SUBMITTED, outcome_unknown=True)
    token = await stored(withdrawals, allowance, withdrawal)
    provider = FakePayoutProvider()
    submit = SubmitNextWithdrawal(withdrawals, provider, allowance, broadcaster, clock, "worker-1", 30)

    outcome = await handle(token, queue_timeout_for(withdrawal), queue_timeout=True)
    clock.advance(hours=1)
    resent = await submit()

    after = withdrawals.get(withdrawal.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (after.status, after.outcome_unknown) == (WithdrawalStatus.TIMEOUT, True)
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == [(TOPIC, after.view())]
    assert resent is None
    assert provider.requests == []


async def test_a_repeated_queue_timeout_is_a_duplicate(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)
    await handle(token, queue_timeout_for(withdrawal), queue_timeout=True)

    outcome = await handle(token, queue_timeout_for(withdrawal), queue_timeout=True)

    assert outcome is CallbackOutcome.DUPLICATE


async def test_a_queue_timeout_for_a_final_withdrawal_is_a_duplicate(
    handle: HandleB2cResult, withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance
) -> None:
    withdrawal = submitted_withdrawal(status=WithdrawalStatus.SUCCESS, result_code="0", receipt="SG632NMUAB")
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, queue_timeout_for(withdrawal), queue_timeout=True)

    assert outcome is CallbackOutcome.DUPLICATE
    assert withdrawals.get(withdrawal.id).status is WithdrawalStatus.SUCCESS


@pytest.mark.parametrize(
    ("code", "status", "still_reserved"),
    [("0", WithdrawalStatus.SUCCESS, True), ("2001", WithdrawalStatus.FAILED, False)],
)
async def test_a_timed_out_withdrawal_is_settled_by_a_later_result(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    code: str,
    status: WithdrawalStatus,
    still_reserved: bool,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)
    await handle(token, queue_timeout_for(withdrawal), queue_timeout=True)
    result = b2c_success_for(withdrawal) if code == "0" else b2c_failure_for(withdrawal, code)

    outcome = await handle(token, result, queue_timeout=False)

    assert outcome is CallbackOutcome.APPLIED
    assert withdrawals.get(withdrawal.id).status is status
    assert reserved(allowance, withdrawal) == (withdrawal.amount.shillings if still_reserved else 0)


async def test_a_result_whose_save_collides_is_decided_again_on_the_fresh_state(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)
    withdrawals.interleave_write()

    outcome = await handle(token, b2c_failure_for(withdrawal), queue_timeout=False)

    after = withdrawals.get(withdrawal.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (after.status, after.version) == (WithdrawalStatus.FAILED, 2)
    assert reserved(allowance, withdrawal) == 0
    assert broadcaster.published == [(TOPIC, after.view())]


async def test_a_result_that_loses_the_race_to_another_result_is_a_duplicate_and_releases_nothing(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)
    success = b2c_success_for(withdrawal)
    withdrawals.interleave_write(lambda current: current.settle(success, clock.now()))

    outcome = await handle(token, b2c_failure_for(withdrawal), queue_timeout=False)

    assert outcome is CallbackOutcome.DUPLICATE
    assert withdrawals.get(withdrawal.id).status is WithdrawalStatus.SUCCESS
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == []


async def test_a_result_gives_up_when_the_withdrawal_keeps_changing(
    handle: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)
    for _ in range(3):
        withdrawals.interleave_write()

    with pytest.raises(ConcurrentUpdateError):
        await handle(token, b2c_failure_for(withdrawal), queue_timeout=False)

    assert withdrawals.get(withdrawal.id).status is WithdrawalStatus.SUBMITTED
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == []
