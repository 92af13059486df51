import asyncio
from dataclasses import replace

import pytest

from domain.b2c.use_cases.request_withdrawal import RequestWithdrawal
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import IdempotencyConflictError, LimitExceededError, ValidationError
from domain.shared.idempotency import B2C_SCOPE, STK_SCOPE
from domain.stk.use_cases.push_payment import PushPayment
from tests.support.factories import PushCommandFactory, WithdrawCommandFactory
from tests.unit.fakes import (
    FakeBroadcaster,
    FakeDailyAllowance,
    FakeIdempotencyKeys,
    FakePaymentProvider,
    FakePaymentRepository,
    FakeWithdrawalRepository,
    FixedClock,
    SequentialIdentifiers,
)

MINIMUM, MAXIMUM, DAILY_LIMIT = 10, 250_000, 500_000
TODAY = "2025-03-14"
KEY = "payout-7"


@pytest.fixture
def request_withdrawal(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    keys: FakeIdempotencyKeys,
) -> RequestWithdrawal:
    return RequestWithdrawal(
        withdrawals, allowance, broadcaster, clock, identifiers, keys, MINIMUM, MAXIMUM, DAILY_LIMIT
    )


async def test_a_repeated_key_returns_the_original_withdrawal_and_reserves_once(
    request_withdrawal: RequestWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    command = WithdrawCommandFactory.build(subject="h1", amount=500, idempotency_key=KEY)
    first = await request_withdrawal(command)

    again = await request_withdrawal(command)

    assert again.view() == first.view()
    assert [w.id for w in withdrawals.all()] == [first.id]
    assert allowance.reserved("h1", TODAY) == 500
    assert len(broadcaster.published) == 1


async def test_two_withdrawals_with_one_key_at_the_same_moment_queue_one(
    request_withdrawal: RequestWithdrawal, withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance
) -> None:
    command = WithdrawCommandFactory.build(subject="h1", amount=500, idempotency_key=KEY)

    first, second = await asyncio.gather(request_withdrawal(command), request_withdrawal(command))

    assert first.id == second.id
    assert [w.id for w in withdrawals.all()] == [first.id]
    assert allowance.reserved("h1", TODAY) == 500


async def test_a_key_reused_for_a_different_withdrawal_is_refused_and_changes_nothing(
    request_withdrawal: RequestWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
) -> None:
    command = WithdrawCommandFactory.build(subject="h1", amount=500, idempotency_key=KEY)
    first = await request_withdrawal(command)

    with pytest.raises(IdempotencyConflictError) as refused:
        await request_withdrawal(replace(command, amount=600))

    assert refused.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    assert [w.id for w in withdrawals.all()] == [first.id]
    assert allowance.reserved("h1", TODAY) == 500
    assert len(broadcaster.published) == 1


async def test_the_same_key_on_another_subject_is_another_withdrawal(
    request_withdrawal: RequestWithdrawal, withdrawals: FakeWithdrawalRepository
) -> None:
    command = WithdrawCommandFactory.build(subject="h1", idempotency_key=KEY)

    first = await request_withdrawal(command)
    other = await request_withdrawal(replace(command, subject="h2"))

    assert first.id != other.id
    assert len(withdrawals.all()) == 2


async def test_after_24_hours_the_same_key_queues_a_new_withdrawal(
    request_withdrawal: RequestWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    clock: FixedClock,
) -> None:
    command = WithdrawCommandFactory.build(subject="h1", amount=500, idempotency_key=KEY)
    first = await request_withdrawal(command)
    clock.advance(hours=24, seconds=1)

    later = await request_withdrawal(command)

    assert later.id != first.id
    assert len(withdrawals.all()) == 2
    assert (allowance.reserved("h1", TODAY), allowance.reserved("h1", "2025-03-15")) == (500, 500)


async def test_invalid_input_with_a_key_is_refused_without_claiming_it(
    request_withdrawal: RequestWithdrawal, allowance: FakeDailyAllowance, keys: FakeIdempotencyKeys
) -> None:
    with pytest.raises(ValidationError):
        await request_withdrawal(WithdrawCommandFactory.build(description="x", idempotency_key=KEY))

    assert keys.held == {}
    assert allowance.totals == {}


async def test_a_withdrawal_refused_for_the_daily_total_gives_its_key_back(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    keys: FakeIdempotencyKeys,
) -> None:
    request_withdrawal = RequestWithdrawal(
        withdrawals, allowance, broadcaster, clock, identifiers, keys, MINIMUM, MAXIMUM, daily_limit=1_000
    )
    await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=900))

    with pytest.raises(LimitExceededError):
        await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=500, idempotency_key=KEY))

    assert keys.holder(B2C_SCOPE, "h1", KEY) is None
    assert allowance.reserved("h1", TODAY) == 900
    assert len(withdrawals.all()) == 1


async def test_a_key_used_for_a_push_is_free_for_a_withdrawal(
    request_withdrawal: RequestWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    keys: FakeIdempotencyKeys,
) -> None:
    push = PushPayment(
        FakePaymentRepository(), FakePaymentProvider(), broadcaster, clock, identifiers, keys, maximum_amount=MAXIMUM
    )
    payment = await push(PushCommandFactory.build(subject="h1", idempotency_key=KEY))

    withdrawal = await request_withdrawal(WithdrawCommandFactory.build(subject="h1", idempotency_key=KEY))

    assert withdrawals.get(withdrawal.id).subject == "h1"
    assert (keys.holder(STK_SCOPE, "h1", KEY), keys.holder(B2C_SCOPE, "h1", KEY)) == (payment.id, withdrawal.id)
