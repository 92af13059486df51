import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from domain.shared import idempotency
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import IdempotencyConflictError, ProviderRejectedError, ValidationError
from domain.shared.idempotency import STK_SCOPE
from domain.shared.ports import IdempotencyClaim
from domain.stk.payment import Payment, StkPushRequest
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.push_payment import PushCommand, PushPayment
from tests.support.factories import PushCommandFactory
from tests.unit.fakes import (
    FakeBroadcaster,
    FakeIdempotencyKeys,
    FakePaymentProvider,
    FakePaymentRepository,
    FixedClock,
    SequentialIdentifiers,
)

MAXIMUM = 150_000
KEY = "order-42"
MakePush = Callable[..., PushPayment]


class SlowToStore(FakePaymentRepository):
    """A store whose inserts take a while, so a repeat can arrive between the claim and the stored record."""

    async def add(self, payment: Payment) -> None:
        await asyncio.sleep(0.12)
        await super().add(payment)


class StoreDownOnce(FakePaymentRepository):
    """The first insert fails as if the store were unreachable; later ones land."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def add(self, payment: Payment) -> None:
        if self.down:
            self.down = False
            raise ConnectionError("store unreachable")
        await super().add(payment)


async def daraja_takes_its_time(_: StkPushRequest) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def make_push(
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    keys: FakeIdempotencyKeys,
) -> MakePush:
    def make(payments: FakePaymentRepository, daraja: FakePaymentProvider = provider) -> PushPayment:
        return PushPayment(payments, daraja, broadcaster, clock, identifiers, keys, maximum_amount=MAXIMUM)

    return make


@pytest.fixture
def push(make_push: MakePush, payments: FakePaymentRepository) -> PushPayment:
    return make_push(payments)


async def test_a_repeated_key_returns_the_original_payment_without_a_second_push(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster
) -> None:
    command = PushCommandFactory.build(subject="h1", idempotency_key=KEY)
    first = await push(command)

    again = await push(command)

    assert again.view() == first.view()
    assert [p.id for p in payments.all()] == [first.id]
    assert len(provider.requests) == 1
    assert len(broadcaster.published) == 1


async def test_the_same_request_written_differently_is_still_a_repeat(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    first = await push(
        PushCommandFactory.build(phone="0712345678", amount=100, description="Order 42", idempotency_key=KEY)
    )

    again = await push(
        PushCommandFactory.build(
            subject=first.subject,
            phone="+254 712 345 678",
            amount=100,
            description="  Order   42 ",
            idempotency_key=KEY,
        )
    )

    assert again.id == first.id
    assert len(provider.requests) == 1


async def test_two_pushes_with_one_key_at_the_same_moment_send_one_push(
    make_push: MakePush, payments: FakePaymentRepository
) -> None:
    provider = FakePaymentProvider(daraja_takes_its_time)
    push = make_push(payments, provider)
    command = PushCommandFactory.build(idempotency_key=KEY)

    first, second = await asyncio.gather(push(command), push(command))

    assert first.id == second.id
    assert [p.id for p in payments.all()] == [first.id]
    assert len(provider.requests) == 1


async def test_a_repeat_that_arrives_before_the_original_is_stored_waits_for_it(
    make_push: MakePush, provider: FakePaymentProvider
) -> None:
    payments = SlowToStore()
    push = make_push(payments)
    command = PushCommandFactory.build(idempotency_key=KEY)

    first, second = await asyncio.gather(push(command), push(command))

    assert first.id == second.id
    assert len(payments.all()) == 1
    assert len(provider.requests) == 1


async def test_a_key_reused_for_a_different_request_is_refused_and_changes_nothing(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster
) -> None:
    first = await push(PushCommandFactory.build(subject="h1", amount=100, idempotency_key=KEY))

    with pytest.raises(IdempotencyConflictError) as refused:
        await push(PushCommandFactory.build(subject="h1", amount=101, idempotency_key=KEY))

    assert refused.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    assert [p.id for p in payments.all()] == [first.id]
    assert len(provider.requests) == 1
    assert len(broadcaster.published) == 1


async def test_the_same_key_on_another_subject_is_another_request(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    command = PushCommandFactory.build(subject="h1", idempotency_key=KEY)

    first = await push(command)
    other = await push(replace(command, subject="h2"))

    assert first.id != other.id
    assert len(payments.all()) == 2
    assert len(provider.requests) == 2


async def test_a_key_is_kept_for_24_hours(push: PushPayment, provider: FakePaymentProvider, clock: FixedClock) -> None:
    command = PushCommandFactory.build(idempotency_key=KEY)
    first = await push(command)
    clock.advance(hours=24, seconds=-1)

    again = await push(command)

    assert again.id == first.id
    assert len(provider.requests) == 1


async def test_after_24_hours_the_same_key_starts_a_new_payment(
    push: PushPayment,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    clock: FixedClock,
    keys: FakeIdempotencyKeys,
) -> None:
    command = PushCommandFactory.build(subject="h1", idempotency_key=KEY)
    first = await push(command)
    clock.advance(hours=24, seconds=1)

    later = await push(command)

    assert later.id != first.id
    assert len(payments.all()) == 2
    assert len(provider.requests) == 2
    assert keys.holder(STK_SCOPE, "h1", KEY) == later.id


async def test_invalid_input_with_a_key_is_refused_without_claiming_it(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider, keys: FakeIdempotencyKeys
) -> None:
    with pytest.raises(ValidationError) as refused:
        await push(PushCommandFactory.build(phone="0712", idempotency_key=KEY))

    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert keys.held == {}
    assert payments.all() == []
    assert provider.requests == []


async def test_a_repeat_of_a_refused_push_returns_the_failed_payment_without_asking_daraja_again(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    provider.will_raise(ProviderRejectedError("400.002.02", "Bad Request - Invalid PhoneNumber"))
    command = PushCommandFactory.build(idempotency_key=KEY)
    with pytest.raises(ProviderRejectedError):
        await push(command)

    again = await push(command)

    assert again.status is PaymentStatus.FAILED
    assert [p.id for p in payments.all()] == [again.id]
    assert len(provider.requests) == 1


async def test_a_push_that_could_not_be_stored_gives_its_key_back(
    make_push: MakePush, provider: FakePaymentProvider, keys: FakeIdempotencyKeys
) -> None:
    payments = StoreDownOnce()
    push = make_push(payments)
    command = PushCommandFactory.build(subject="h1", idempotency_key=KEY)
    with pytest.raises(ConnectionError):
        await push(command)
    assert keys.holder(STK_SCOPE, "h1", KEY) is None

    retried = await push(command)

    assert [p.id for p in payments.all()] == [retried.id]
    assert len(provider.requests) == 1


async def test_a_key_left_behind_by_a_failed_push_is_taken_over_after_a_minute(
    push: PushPayment,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    clock: FixedClock,
    keys: FakeIdempotencyKeys,
    identifiers: SequentialIdentifiers,
) -> None:
    command = PushCommandFactory.build(subject="h1", idempotency_key=KEY)
    await _push_while_the_store_is_down(command, keys, clock, identifiers)
    clock.advance(minutes=1)

    payment = await push(command)

    assert [p.id for p in payments.all()] == [payment.id]
    assert len(provider.requests) == 1
    assert keys.holder(STK_SCOPE, "h1", KEY) == payment.id


async def test_a_repeat_within_that_minute_is_refused_as_still_in_progress_without_a_push(
    push: PushPayment,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    clock: FixedClock,
    keys: FakeIdempotencyKeys,
    identifiers: SequentialIdentifiers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(idempotency, "ORIGINAL_LOOKUP_PAUSE", 0)
    command = PushCommandFactory.build(idempotency_key=KEY)
    await _push_while_the_store_is_down(command, keys, clock, identifiers)
    clock.advance(seconds=59)

    with pytest.raises(IdempotencyConflictError, match="still in progress"):
        await push(command)

    assert payments.all() == []
    assert provider.requests == []


class StoreDown(FakePaymentRepository):
    async def add(self, payment: Payment) -> None:
        raise ConnectionError("store unreachable")


class KeysThatCannotBeReleased:
    """The key store answered the claim, then went down with the store: the key could not be given back."""

    def __init__(self, keys: FakeIdempotencyKeys) -> None:
        self._keys = keys

    async def claim(self, *args: Any) -> IdempotencyClaim:
        return await self._keys.claim(*args)

    async def release(self, *args: Any) -> None:
        raise ConnectionError("store unreachable")


async def _push_while_the_store_is_down(
    command: PushCommand, keys: FakeIdempotencyKeys, clock: FixedClock, identifiers: SequentialIdentifiers
) -> None:
    """A push claims its key, then neither stores its payment nor gives the key back."""
    failing = PushPayment(
        StoreDown(),
        FakePaymentProvider(),
        FakeBroadcaster(),
        clock,
        identifiers,
        KeysThatCannotBeReleased(keys),
        maximum_amount=MAXIMUM,
    )
    with pytest.raises(ConnectionError):
        await failing(command)
