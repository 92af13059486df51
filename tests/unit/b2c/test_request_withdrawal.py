from datetime import UTC, datetime

import pytest

from domain.b2c.use_cases.request_withdrawal import RequestWithdrawal
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import LimitExceededError, ValidationError
from domain.shared.phone import Phone
from tests.support.factories import WithdrawCommandFactory
from tests.unit.fakes import (
    FakeBroadcaster,
    FakeDailyAllowance,
    FakeIdempotencyKeys,
    FakeWithdrawalRepository,
    FixedClock,
    SequentialIdentifiers,
)

MINIMUM, MAXIMUM, DAILY_LIMIT = 10, 250_000, 500_000
TODAY = "2025-03-14"


class Wakeups:
    def __init__(self, withdrawals: FakeWithdrawalRepository) -> None:
        self._withdrawals = withdrawals
        self.stored_when_woken: list[list[Withdrawal]] = []

    def __call__(self) -> None:
        self.stored_when_woken.append(self._withdrawals.all())


@pytest.fixture
def wakeups(withdrawals: FakeWithdrawalRepository) -> Wakeups:
    return Wakeups(withdrawals)


def make_request(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    wakeups: Wakeups | None = None,
    daily_limit: int = DAILY_LIMIT,
    keys: FakeIdempotencyKeys | None = None,
) -> RequestWithdrawal:
    return RequestWithdrawal(
        withdrawals,
        allowance,
        broadcaster,
        clock,
        identifiers,
        keys or FakeIdempotencyKeys(),
        MINIMUM,
        MAXIMUM,
        daily_limit,
        on_queued=wakeups,
    )


@pytest.fixture
def request_withdrawal(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    wakeups: Wakeups,
    keys: FakeIdempotencyKeys,
) -> RequestWithdrawal:
    return make_request(withdrawals, allowance, broadcaster, clock, identifiers, wakeups, keys=keys)


async def test_a_valid_withdrawal_is_stored_queued_with_a_gateway_originator_conversation_id(
    request_withdrawal: RequestWithdrawal, withdrawals: FakeWithdrawalRepository, clock: FixedClock
) -> None:
    command = WithdrawCommandFactory.build(
        subject="h1", phone="+254 712 345 678", amount=150, description=" Payout  1 "
    )

    withdrawal = await request_withdrawal(command)

    stored = withdrawals.get(withdrawal.id)
    assert stored.status is WithdrawalStatus.QUEUED
    assert (stored.subject, stored.phone, stored.amount, stored.description) == (
        "h1",
        Phone("254712345678"),
        Amount(150),
        Description("Payout 1"),
    )
    assert (stored.id, stored.originator_conversation_id, stored.callback_token) == (
        "pay000000001",
        "pay000000002",
        "cb-secret-0001",
    )
    assert stored.created_at == clock.now()
    assert withdrawal.view() == stored.view()


async def test_the_queued_withdrawal_is_published_on_the_subject_b2c_topic(
    request_withdrawal: RequestWithdrawal, withdrawals: FakeWithdrawalRepository, broadcaster: FakeBroadcaster
) -> None:
    withdrawal = await request_withdrawal(WithdrawCommandFactory.build(subject="5f2b9c"))

    assert broadcaster.published == [("/mpesa/b2c/5f2b9c", withdrawals.get(withdrawal.id).view())]


async def test_the_worker_is_woken_once_the_withdrawal_is_stored(
    request_withdrawal: RequestWithdrawal, wakeups: Wakeups
) -> None:
    withdrawal = await request_withdrawal(WithdrawCommandFactory.build())

    assert [[w.id for w in stored] for stored in wakeups.stored_when_woken] == [[withdrawal.id]]


async def test_the_amount_is_reserved_in_the_subject_daily_total(
    request_withdrawal: RequestWithdrawal, allowance: FakeDailyAllowance
) -> None:
    await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=1_200))

    assert allowance.reserved("h1", TODAY) == 1_200


async def test_the_daily_total_is_kept_per_nairobi_day(
    request_withdrawal: RequestWithdrawal, allowance: FakeDailyAllowance, clock: FixedClock
) -> None:
    clock.set(datetime(2025, 3, 14, 21, 0, tzinfo=UTC))

    await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=300))

    assert allowance.totals == {("h1", "2025-03-15"): 300}


@pytest.mark.parametrize("amount", [MINIMUM, MAXIMUM])
async def test_the_limits_themselves_are_allowed(
    request_withdrawal: RequestWithdrawal, withdrawals: FakeWithdrawalRepository, amount: int
) -> None:
    withdrawal = await request_withdrawal(WithdrawCommandFactory.build(amount=amount))

    assert withdrawals.get(withdrawal.id).amount == Amount(amount)


@pytest.mark.parametrize(
    ("amount", "limit", "value"),
    [(MINIMUM - 1, "minimum", MINIMUM), (1, "minimum", MINIMUM), (MAXIMUM + 1, "maximum", MAXIMUM)],
)
async def test_an_amount_outside_the_limits_is_refused_before_anything_is_queued(
    request_withdrawal: RequestWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    wakeups: Wakeups,
    amount: int,
    limit: str,
    value: int,
) -> None:
    with pytest.raises(LimitExceededError) as refused:
        await request_withdrawal(WithdrawCommandFactory.build(amount=amount))

    assert refused.value.code is ErrorCode.LIMIT_EXCEEDED
    [detail] = refused.value.details
    assert (detail["field"], detail["amount"], detail[limit]) == ("amount", amount, value)
    assert withdrawals.all() == []
    assert allowance.totals == {}
    assert broadcaster.published == []
    assert wakeups.stored_when_woken == []


async def test_a_withdrawal_past_the_daily_total_is_refused_and_the_earlier_ones_stand(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
) -> None:
    request_withdrawal = make_request(withdrawals, allowance, broadcaster, clock, identifiers, daily_limit=1_000)
    await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=400))
    await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=500))

    with pytest.raises(LimitExceededError) as refused:
        await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=101))

    assert refused.value.details[0]["daily_limit"] == 1_000
    assert refused.value.details[0]["amount"] == 101
    assert allowance.reserved("h1", TODAY) == 900
    assert [w.amount.shillings for w in withdrawals.all()] == [400, 500]
    assert len(broadcaster.published) == 2


async def test_the_daily_total_is_counted_per_subject_and_per_day(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
) -> None:
    request_withdrawal = make_request(withdrawals, allowance, broadcaster, clock, identifiers, daily_limit=1_000)
    await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=1_000))

    await request_withdrawal(WithdrawCommandFactory.build(subject="h2", amount=1_000))
    clock.advance(days=1)
    await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=1_000))

    assert allowance.totals == {("h1", TODAY): 1_000, ("h2", TODAY): 1_000, ("h1", "2025-03-15"): 1_000}


INVALID = {
    "short phone": ("phone", {"phone": "0712"}),
    "non-safaricom phone": ("phone", {"phone": "254812345678"}),
    "no phone": ("phone", {"phone": None}),
    "boolean phone": ("phone", {"phone": True}),
    "zero amount": ("amount", {"amount": 0}),
    "negative amount": ("amount", {"amount": -50}),
    "fractional amount": ("amount", {"amount": 100.5}),
    "whole float amount": ("amount", {"amount": 100.0}),
    "amount as text": ("amount", {"amount": "100"}),
    "boolean amount": ("amount", {"amount": True}),
    "no amount": ("amount", {"amount": None}),
    "empty description": ("description", {"description": "   "}),
    "one-character description": ("description", {"description": "x"}),
    "overlong description": ("description", {"description": "x" * 101}),
    "no description": ("description", {"description": None}),
}


@pytest.mark.parametrize(("field", "bad"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_input_is_refused_before_anything_is_stored_reserved_or_published(
    request_withdrawal: RequestWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    field: str,
    bad: dict[str, object],
) -> None:
    with pytest.raises(ValidationError) as refused:
        await request_withdrawal(WithdrawCommandFactory.build(**bad))

    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert refused.value.field == field
    assert withdrawals.all() == []
    assert allowance.totals == {}
    assert broadcaster.published == []


async def test_invalid_input_wins_over_a_broken_limit(request_withdrawal: RequestWithdrawal) -> None:
    with pytest.raises(ValidationError):
        await request_withdrawal(WithdrawCommandFactory.build(amount=MAXIMUM + 1, phone="0712"))


async def test_the_reservation_is_given_back_when_the_withdrawal_cannot_be_stored(
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
) -> None:
    class StoreDown(FakeWithdrawalRepository):
        async def add(self, withdrawal: Withdrawal) -> None:
            raise ConnectionError("store unreachable")

    request_withdrawal = make_request(StoreDown(), allowance, broadcaster, clock, identifiers)

    with pytest.raises(ConnectionError):
        await request_withdrawal(WithdrawCommandFactory.build(subject="h1", amount=500))

    assert allowance.reserved("h1", TODAY) == 0
    assert broadcaster.published == []


def test_a_minimum_above_the_maximum_is_a_configuration_error(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
) -> None:
    with pytest.raises(ValueError, match="minimum"):
        RequestWithdrawal(
            withdrawals, allowance, broadcaster, clock, identifiers, FakeIdempotencyKeys(), 500, 100, DAILY_LIMIT
        )
