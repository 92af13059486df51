from dataclasses import replace

import pytest

from domain.b2c.result_codes import NOT_COMPLETED_MESSAGE
from domain.b2c.use_cases.handle_transaction_status_result import HandleTransactionStatusResult, StatusResultOutcome
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.shared.errors import CallbackRejectedError
from domain.shared.status_change import ChangeCause
from domain.shared.transaction_status import TransactionStatusResult
from tests.support.factories import (
    WithdrawalFactory,
    b2c_success_for,
    queue_timeout_for,
    status_answer,
    submitted_withdrawal,
)
from tests.unit.fakes import FakeBroadcaster, FakeDailyAllowance, FakeWithdrawalRepository, FixedClock

TOPIC = "/mpesa/b2c/" + "a1b2c3d4" * 4
QUERY_SECRET = "status-query-secret-1"


@pytest.fixture
def handle(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> HandleTransactionStatusResult:
    return HandleTransactionStatusResult(withdrawals, allowance, broadcaster, clock)


def asked(withdrawal: Withdrawal, token: str = QUERY_SECRET) -> str:
    """Open a status query on `withdrawal`, as the reconciler does when it claims it; the query's secret."""
    withdrawal.open_status_query(token, withdrawal.created_at)
    return token


async def stored(withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance, withdrawal: Withdrawal) -> str:
    """Store `withdrawal` with its daily reservation, as RequestWithdrawal left it, and a status query asked about
    it (unless one is open already); the secret of the open query."""
    if withdrawal.status_query is None:
        asked(withdrawal)
    assert await allowance.reserve(withdrawal.subject, withdrawal.allowance_day, withdrawal.amount.shillings, 10**9)
    await withdrawals.add(withdrawal)
    return QUERY_SECRET


def reserved(allowance: FakeDailyAllowance, withdrawal: Withdrawal) -> int:
    return allowance.reserved(withdrawal.subject, withdrawal.allowance_day)


async def test_completed_settles_as_success_with_the_receipt_and_is_published(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, status_answer(withdrawal))

    after = withdrawals.get(withdrawal.id)
    assert outcome is StatusResultOutcome.SETTLED
    assert (after.status, after.receipt, after.updated_at) == (WithdrawalStatus.SUCCESS, "SG632NMUAB", clock.now())
    assert (after.history[-1].status, after.history[-1].cause) == ("success", ChangeCause.RECONCILER)
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == [(TOPIC, after.view())]


@pytest.mark.parametrize("status", ["Failed", "Expired"])
async def test_a_payout_that_did_not_complete_fails_and_gives_the_day_s_allowance_back(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    status: str,
) -> None:
    withdrawal = submitted_withdrawal()
    withdrawal.time_out(queue_timeout_for(withdrawal), withdrawal.created_at)
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, status_answer(withdrawal, status))

    after = withdrawals.get(withdrawal.id)
    assert outcome is StatusResultOutcome.SETTLED
    assert after.status is WithdrawalStatus.FAILED
    assert reserved(allowance, withdrawal) == 0
    assert broadcaster.published == [(TOPIC, after.view())]
    assert after.view()["message"] == NOT_COMPLETED_MESSAGE


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda w: status_answer(w, "Pending"), id="pending"),
        pytest.param(
            # Named by the Occasion the query sent, which Daraja echoes in ReferenceData.
            lambda w: TransactionStatusResult("404", "The transaction couldn't be found", w.originator_conversation_id),
            id="not found",
        ),
    ],
)
async def test_an_answer_that_settles_nothing_only_closes_its_query(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    answer: object,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, answer(withdrawal))  # type: ignore[operator]

    assert outcome is StatusResultOutcome.STILL_OPEN
    withdrawal.status_query = None
    assert withdrawals.get(withdrawal.id) == withdrawal
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == []


async def test_a_withdrawal_its_result_already_settled_never_changes(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal()
    asked(withdrawal)
    withdrawal.settle(b2c_success_for(withdrawal), clock.now())
    token = await stored(withdrawals, allowance, withdrawal)

    outcome = await handle(token, status_answer(withdrawal, "Failed"))

    assert outcome is StatusResultOutcome.ALREADY_FINAL
    withdrawal.status_query = None
    assert withdrawals.get(withdrawal.id) == withdrawal
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == []


async def test_a_result_that_lands_while_the_answer_is_applied_wins(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)
    withdrawals.interleave_write(lambda w: w.settle(b2c_success_for(w), clock.now()))

    outcome = await handle(token, status_answer(withdrawal, "Failed"))

    assert outcome is StatusResultOutcome.ALREADY_FINAL
    assert withdrawals.get(withdrawal.id).status is WithdrawalStatus.SUCCESS
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings


async def test_an_unknown_status_url_is_refused(handle: HandleTransactionStatusResult) -> None:
    with pytest.raises(CallbackRejectedError):
        await handle("no-such-token", status_answer(WithdrawalFactory.build()))


async def refused_changing_nothing(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    token: str,
    answer: TransactionStatusResult,
    withdrawal: Withdrawal,
) -> None:
    before = withdrawals.get(withdrawal.id)

    with pytest.raises(CallbackRejectedError):
        await handle(token, answer)

    after = withdrawals.get(withdrawal.id)
    assert (after, after.version) == (before, before.version)
    assert reserved(allowance, withdrawal) == withdrawal.amount.shillings
    assert broadcaster.published == []


@pytest.mark.parametrize("status", ["Completed", "Failed"])
async def test_an_answer_at_the_payouts_own_result_token_is_refused(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    status: str,
) -> None:
    withdrawal = submitted_withdrawal()
    await stored(withdrawals, allowance, withdrawal)

    forged = status_answer(withdrawal, status)

    await refused_changing_nothing(
        handle, withdrawals, allowance, broadcaster, withdrawal.callback_token, forged, withdrawal
    )


async def test_no_answer_counts_for_a_withdrawal_with_no_query_open(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    withdrawal = submitted_withdrawal()  # as stored before queries had their own secret: none open
    assert await allowance.reserve(withdrawal.subject, withdrawal.allowance_day, withdrawal.amount.shillings, 10**9)
    await withdrawals.add(withdrawal)

    for token in (withdrawal.callback_token, QUERY_SECRET):
        await refused_changing_nothing(
            handle, withdrawals, allowance, broadcaster, token, status_answer(withdrawal, "Failed"), withdrawal
        )


async def test_a_query_s_secret_works_once(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)
    assert await handle(token, status_answer(withdrawal, "Pending")) is StatusResultOutcome.STILL_OPEN

    await refused_changing_nothing(
        handle, withdrawals, allowance, broadcaster, token, status_answer(withdrawal, "Failed"), withdrawal
    )


async def test_a_superseded_query_s_secret_no_longer_works_and_the_newest_does(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    withdrawal = submitted_withdrawal()
    old = await stored(withdrawals, allowance, withdrawal)
    withdrawals.write_behind_your_back(withdrawal.id, lambda w: w.open_status_query("newer-query", w.created_at))

    await refused_changing_nothing(
        handle, withdrawals, allowance, broadcaster, old, status_answer(withdrawal, "Completed"), withdrawal
    )
    outcome = await handle("newer-query", status_answer(withdrawal, "Completed"))

    assert outcome is StatusResultOutcome.SETTLED
    assert withdrawals.get(withdrawal.id).status is WithdrawalStatus.SUCCESS


@pytest.mark.parametrize(
    "naming",
    [
        pytest.param(lambda w: submitted_withdrawal().originator_conversation_id, id="another payout"),
        pytest.param(lambda w: None, id="no payout"),
    ],
)
async def test_an_answer_on_the_right_secret_naming_another_payout_is_refused_and_the_query_stays_open(
    handle: HandleTransactionStatusResult,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    naming: object,
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)
    forged = replace(status_answer(withdrawal, "Failed"), originator_conversation_id=naming(withdrawal))  # type: ignore[operator]

    await refused_changing_nothing(handle, withdrawals, allowance, broadcaster, token, forged, withdrawal)
    outcome = await handle(token, status_answer(withdrawal, "Completed"))

    assert outcome is StatusResultOutcome.SETTLED
    assert withdrawals.get(withdrawal.id).status is WithdrawalStatus.SUCCESS


async def test_a_time_out_notice_counts_only_on_the_open_query_s_secret(
    handle: HandleTransactionStatusResult, withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance
) -> None:
    withdrawal = submitted_withdrawal()
    token = await stored(withdrawals, allowance, withdrawal)

    await handle.query_timed_out(token)
    with pytest.raises(CallbackRejectedError):
        await handle.query_timed_out(withdrawal.callback_token)

    assert withdrawals.get(withdrawal.id) == withdrawal
