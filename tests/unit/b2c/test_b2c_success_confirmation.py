"""CONFIRM_SUCCESS_CALLBACKS for B2C: a success Result is applied only once Transaction Status says Completed."""

from datetime import timedelta

import pytest

from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.b2c.use_cases.handle_transaction_status_result import HandleTransactionStatusResult, StatusResultOutcome
from domain.b2c.use_cases.reconcile_withdrawals import ReconcileWithdrawals
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.callbacks.anomaly import AnomalyKind
from domain.callbacks.outcome import CallbackOutcome
from domain.shared.errors import ProviderUnavailableError
from tests.support.factories import B2C_RECEIPT, b2c_success_for, queue_timeout_for, status_answer, submitted_withdrawal
from tests.unit.fakes import (
    FakeAnomalies,
    FakeBroadcaster,
    FakeDailyAllowance,
    FakePayoutProvider,
    FakeWithdrawalRepository,
    FixedClock,
    FixedRandom,
    SequentialIdentifiers,
)

RECHECK = timedelta(seconds=60)
RECEIPT = B2C_RECEIPT


@pytest.fixture
def withdrawal() -> Withdrawal:
    return submitted_withdrawal()


@pytest.fixture
async def token(withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance, withdrawal: Withdrawal) -> str:
    assert await allowance.reserve(withdrawal.subject, withdrawal.allowance_day, withdrawal.amount.shillings, 10**9)
    await withdrawals.add(withdrawal)
    return withdrawal.callback_token


@pytest.fixture
def handle_result(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    anomalies: FakeAnomalies,
    payout_provider: FakePayoutProvider,
    identifiers: SequentialIdentifiers,
) -> HandleB2cResult:
    return HandleB2cResult(
        withdrawals,
        allowance,
        broadcaster,
        clock,
        anomalies,
        confirm=payout_provider,
        identifiers=identifiers,
        recheck_after=RECHECK,
    )


@pytest.fixture
def handle_status(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    anomalies: FakeAnomalies,
) -> HandleTransactionStatusResult:
    return HandleTransactionStatusResult(withdrawals, allowance, broadcaster, clock, anomalies)


def asked(payout_provider: FakePayoutProvider) -> str:
    """The secret of the last status query asked: the one its answer must come to."""
    return payout_provider.status_requests[-1].callback_token


def reserved(allowance: FakeDailyAllowance, withdrawal: Withdrawal) -> int:
    return allowance.reserved(withdrawal.subject, withdrawal.allowance_day)


async def test_a_success_result_is_held_and_transaction_status_is_asked(
    handle_result: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    withdrawal: Withdrawal,
    token: str,
    payout_provider: FakePayoutProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    outcome = await handle_result(token, b2c_success_for(withdrawal), queue_timeout=False)

    stored = withdrawals.get(withdrawal.id)
    assert outcome is CallbackOutcome.HELD
    assert (stored.status, stored.receipt) == (WithdrawalStatus.SUBMITTED, None)
    assert stored.unconfirmed_success is not None and stored.unconfirmed_success.receipt == RECEIPT
    assert stored.next_check_at == clock.now() + RECHECK
    [query] = payout_provider.status_requests
    assert (query.originator_conversation_id, query.receipt) == (withdrawal.originator_conversation_id, RECEIPT)
    assert query.callback_token != token  # the query's own secret, never the payout's
    assert stored.status_query is not None and stored.status_query.is_named_by(query.callback_token)
    assert payout_provider.requests == []  # asked about, never sent again
    assert broadcaster.published == []


async def test_completed_confirms_the_held_success_with_the_results_own_details(
    handle_result: HandleB2cResult,
    handle_status: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    withdrawal: Withdrawal,
    token: str,
    payout_provider: FakePayoutProvider,
    anomalies: FakeAnomalies,
) -> None:
    result = b2c_success_for(withdrawal)
    await handle_result(token, result, queue_timeout=False)

    outcome = await handle_status(asked(payout_provider), status_answer(withdrawal, "Completed"))

    stored = withdrawals.get(withdrawal.id)
    assert outcome is StatusResultOutcome.SETTLED
    assert (stored.status, stored.receipt, stored.recipient_name) == (
        WithdrawalStatus.SUCCESS,
        RECEIPT,
        result.recipient_name,
    )
    assert stored.unconfirmed_success is None
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert anomalies.kinds() == []


@pytest.mark.parametrize("status", ["Failed", "Expired"])
async def test_a_not_completed_answer_refutes_the_held_success_and_gives_the_allowance_back(
    handle_result: HandleB2cResult,
    handle_status: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    withdrawal: Withdrawal,
    token: str,
    payout_provider: FakePayoutProvider,
    anomalies: FakeAnomalies,
    status: str,
) -> None:
    await handle_result(token, b2c_success_for(withdrawal), queue_timeout=False)

    await handle_status(asked(payout_provider), status_answer(withdrawal, status))

    stored = withdrawals.get(withdrawal.id)
    assert (stored.status, stored.receipt, stored.unconfirmed_success) == (WithdrawalStatus.FAILED, None, None)
    assert reserved(allowance, withdrawal) == 0
    assert anomalies.kinds() == [AnomalyKind.UNCONFIRMED_SUCCESS]


async def test_a_pending_answer_keeps_the_success_held(
    handle_result: HandleB2cResult,
    handle_status: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    withdrawal: Withdrawal,
    token: str,
    payout_provider: FakePayoutProvider,
) -> None:
    await handle_result(token, b2c_success_for(withdrawal), queue_timeout=False)

    outcome = await handle_status(asked(payout_provider), status_answer(withdrawal, "Pending"))

    stored = withdrawals.get(withdrawal.id)
    assert outcome is StatusResultOutcome.STILL_OPEN
    assert stored.status is WithdrawalStatus.SUBMITTED and stored.unconfirmed_success is not None


async def test_with_daraja_unreachable_the_success_stays_held_and_the_reconciler_asks_again(
    handle_result: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    withdrawal: Withdrawal,
    token: str,
    payout_provider: FakePayoutProvider,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
) -> None:
    payout_provider.status_query_raises(ProviderUnavailableError("Daraja did not answer"))

    outcome = await handle_result(token, b2c_success_for(withdrawal), queue_timeout=False)
    clock.advance(seconds=RECHECK.total_seconds())
    await ReconcileWithdrawals(withdrawals, payout_provider, clock, FixedRandom(), identifiers)(limit=10)

    assert outcome is CallbackOutcome.HELD
    assert withdrawals.get(withdrawal.id).unconfirmed_success is not None
    assert payout_provider.status_queried_ids() == [withdrawal.originator_conversation_id]
    assert payout_provider.requests == []


async def test_a_success_after_a_queue_time_out_is_held_too(
    handle_result: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    withdrawal: Withdrawal,
    token: str,
) -> None:
    await handle_result(token, queue_timeout_for(withdrawal), queue_timeout=True)

    outcome = await handle_result(token, b2c_success_for(withdrawal), queue_timeout=False)

    stored = withdrawals.get(withdrawal.id)
    assert outcome is CallbackOutcome.HELD
    assert stored.status is WithdrawalStatus.TIMEOUT and stored.unconfirmed_success is not None


async def test_a_success_result_for_another_amount_is_refused_without_asking_daraja(
    handle_result: HandleB2cResult,
    withdrawals: FakeWithdrawalRepository,
    withdrawal: Withdrawal,
    token: str,
    payout_provider: FakePayoutProvider,
) -> None:
    with pytest.raises(Exception, match="amount"):
        await handle_result(
            token, b2c_success_for(withdrawal, amount=withdrawal.amount.shillings + 1), queue_timeout=False
        )

    assert payout_provider.status_requests == []
    assert withdrawals.get(withdrawal.id).unconfirmed_success is None
