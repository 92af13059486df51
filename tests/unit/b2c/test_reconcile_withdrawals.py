import asyncio
from datetime import timedelta

import pytest

from domain.b2c.use_cases.reconcile_withdrawals import ReconcileWithdrawals
from domain.b2c.withdrawal import WithdrawalStatus
from domain.shared.errors import ProviderRejectedError, ProviderUnavailableError
from tests.support.factories import (
    CREATED_AT,
    WithdrawalFactory,
    b2c_success_for,
    queue_timeout_for,
    submitted_withdrawal,
)
from tests.unit.fakes import (
    FakePayoutProvider,
    FakeWithdrawalRepository,
    FixedClock,
    FixedRandom,
    SequentialIdentifiers,
)

FIRST_CHECK = CREATED_AT + timedelta(seconds=60)


@pytest.fixture
def reconcile(
    withdrawals: FakeWithdrawalRepository,
    payout_provider: FakePayoutProvider,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
) -> ReconcileWithdrawals:
    clock.set(FIRST_CHECK)
    return ReconcileWithdrawals(withdrawals, payout_provider, clock, FixedRandom(), identifiers)


async def test_a_due_withdrawal_is_asked_about_by_its_payout_id_with_a_query_secret_of_its_own(
    reconcile: ReconcileWithdrawals, withdrawals: FakeWithdrawalRepository, payout_provider: FakePayoutProvider
) -> None:
    withdrawal = submitted_withdrawal()
    await withdrawals.add(withdrawal)

    assert await reconcile(limit=10) == 1

    [query] = payout_provider.status_requests
    assert (query.originator_conversation_id, query.receipt) == (withdrawal.originator_conversation_id, None)
    assert query.callback_token != withdrawal.callback_token
    stored = withdrawals.get(withdrawal.id)
    assert stored.status_query is not None and stored.status_query.is_named_by(query.callback_token)
    assert stored.status_query.asked_at == FIRST_CHECK
    assert (stored.status, stored.check_attempts) == (WithdrawalStatus.SUBMITTED, 1)
    assert stored.next_check_at == FIRST_CHECK + timedelta(seconds=60)
    assert payout_provider.requests == []  # asked about, never sent again


async def test_an_unanswered_withdrawal_is_asked_about_again_with_growing_capped_delays(
    reconcile: ReconcileWithdrawals,
    withdrawals: FakeWithdrawalRepository,
    payout_provider: FakePayoutProvider,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal()
    await withdrawals.add(withdrawal)
    delays = []

    for _ in range(5):
        await reconcile(limit=10)
        assert await reconcile(limit=10) == 0  # not again before its next check
        next_check = withdrawals.get(withdrawal.id).next_check_at
        assert next_check is not None
        delays.append((next_check - clock.now()).total_seconds())
        clock.set(next_check)

    assert delays == [60, 120, 240, 300, 300]
    assert len(payout_provider.status_requests) == 5


async def test_each_query_has_a_fresh_secret_and_only_the_newest_stays_open(
    reconcile: ReconcileWithdrawals,
    withdrawals: FakeWithdrawalRepository,
    payout_provider: FakePayoutProvider,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal()
    await withdrawals.add(withdrawal)
    await reconcile(limit=10)
    clock.advance(seconds=60)

    await reconcile(limit=10)

    first, second = (query.callback_token for query in payout_provider.status_requests)
    stored = withdrawals.get(withdrawal.id).status_query
    assert first != second
    assert stored is not None and stored.is_named_by(second) and not stored.is_named_by(first)


async def test_the_receipt_a_held_success_reported_is_asked_about_too(
    reconcile: ReconcileWithdrawals, withdrawals: FakeWithdrawalRepository, payout_provider: FakePayoutProvider
) -> None:
    withdrawal = submitted_withdrawal()
    success = b2c_success_for(withdrawal)
    withdrawal.hold_unconfirmed_success(success, CREATED_AT, recheck_at=FIRST_CHECK)
    await withdrawals.add(withdrawal)

    await reconcile(limit=10)

    [query] = payout_provider.status_requests
    assert (query.originator_conversation_id, query.receipt) == (withdrawal.originator_conversation_id, success.receipt)


async def test_a_queue_time_out_is_asked_about_at_once(
    reconcile: ReconcileWithdrawals,
    withdrawals: FakeWithdrawalRepository,
    payout_provider: FakePayoutProvider,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal(next_check_at=CREATED_AT + timedelta(hours=1))
    withdrawal.time_out(queue_timeout_for(withdrawal), clock.now())
    await withdrawals.add(withdrawal)

    assert await reconcile(limit=10) == 1

    assert payout_provider.status_queried_ids() == [withdrawal.originator_conversation_id]


@pytest.mark.parametrize(
    "withdrawal",
    [
        pytest.param(WithdrawalFactory.build(next_check_at=CREATED_AT), id="queued"),
        pytest.param(submitted_withdrawal(status=WithdrawalStatus.SUCCESS, next_check_at=CREATED_AT), id="success"),
        pytest.param(submitted_withdrawal(status=WithdrawalStatus.FAILED, next_check_at=CREATED_AT), id="failed"),
        pytest.param(submitted_withdrawal(status=WithdrawalStatus.REJECTED, next_check_at=CREATED_AT), id="rejected"),
    ],
)
async def test_a_withdrawal_not_at_daraja_is_never_asked_about(
    reconcile: ReconcileWithdrawals,
    withdrawals: FakeWithdrawalRepository,
    payout_provider: FakePayoutProvider,
    withdrawal: object,
) -> None:
    await withdrawals.add(withdrawal)  # type: ignore[arg-type]

    assert await reconcile(limit=10) == 0

    assert payout_provider.status_requests == []


async def test_a_withdrawal_settled_after_it_was_found_due_is_not_asked_about(
    reconcile: ReconcileWithdrawals,
    withdrawals: FakeWithdrawalRepository,
    payout_provider: FakePayoutProvider,
    clock: FixedClock,
) -> None:
    withdrawal = submitted_withdrawal()
    await withdrawals.add(withdrawal)
    withdrawals.interleave_write(lambda stored: stored.settle(b2c_success_for(stored), clock.now()))

    assert await reconcile(limit=10) == 0

    assert payout_provider.status_requests == []


async def test_two_reconcilers_ask_about_each_due_withdrawal_once_per_round(
    withdrawals: FakeWithdrawalRepository,
    payout_provider: FakePayoutProvider,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
) -> None:
    due = [submitted_withdrawal() for _ in range(6)]
    for withdrawal in due:
        await withdrawals.add(withdrawal)
    clock.set(FIRST_CHECK)
    first, second = (
        ReconcileWithdrawals(withdrawals, payout_provider, clock, FixedRandom(), identifiers) for _ in range(2)
    )

    claimed = await asyncio.gather(first(limit=10), second(limit=10))

    assert sum(claimed) == 6
    assert sorted(payout_provider.status_queried_ids()) == sorted(w.originator_conversation_id for w in due)


async def test_daraja_unavailable_ends_the_round_and_the_rest_stay_due(
    reconcile: ReconcileWithdrawals, withdrawals: FakeWithdrawalRepository, payout_provider: FakePayoutProvider
) -> None:
    first = submitted_withdrawal(next_check_at=FIRST_CHECK - timedelta(seconds=5))
    second = submitted_withdrawal()
    await withdrawals.add(first)
    await withdrawals.add(second)
    payout_provider.status_query_raises(ProviderUnavailableError("Daraja is unavailable"))

    assert await reconcile(limit=10) == 1

    assert payout_provider.status_requests == []
    assert withdrawals.get(first.id).check_attempts == 1
    assert withdrawals.get(second.id).next_check_at == FIRST_CHECK


async def test_a_refused_status_query_is_asked_again_later_and_the_round_goes_on(
    reconcile: ReconcileWithdrawals, withdrawals: FakeWithdrawalRepository, payout_provider: FakePayoutProvider
) -> None:
    refused = submitted_withdrawal(next_check_at=FIRST_CHECK - timedelta(seconds=5))
    other = submitted_withdrawal()
    await withdrawals.add(refused)
    await withdrawals.add(other)
    payout_provider.status_query_raises(ProviderRejectedError("401.002.01", "Invalid Access Token"))

    assert await reconcile(limit=10) == 2

    assert payout_provider.status_queried_ids() == [other.originator_conversation_id]
    assert withdrawals.get(refused.id).next_check_at == FIRST_CHECK + timedelta(seconds=60)
