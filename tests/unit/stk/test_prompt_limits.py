from datetime import timedelta

import pytest

from domain.shared.errors import ProviderRejectedError, RateLimitedError
from domain.stk.prompt_limits import PromptGate, PromptLimits
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.handle_callback import HandleStkCallback
from domain.stk.use_cases.push_payment import PushPayment
from tests.support.factories import PushCommandFactory, success_for
from tests.unit.fakes import (
    FakeAnomalies,
    FakeBroadcaster,
    FakeIdempotencyKeys,
    FakePaymentProvider,
    FakePaymentRepository,
    FakeRateLimiter,
    FixedClock,
    SequentialIdentifiers,
)

PHONE = "0712345678"


def pusher(
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    clock: FixedClock,
    limits: PromptLimits,
    limiter: FakeRateLimiter | None = None,
) -> PushPayment:
    gate = PromptGate(limiter or FakeRateLimiter(), limits)
    return PushPayment(
        payments,
        provider,
        FakeBroadcaster(),
        clock,
        SequentialIdentifiers(),
        FakeIdempotencyKeys(),
        maximum_amount=250_000,
        gate=gate,
    )


async def test_a_second_prompt_to_a_phone_with_one_pending_is_refused_and_nothing_is_sent(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    push = pusher(payments, provider, clock, PromptLimits(per_phone=0, window=timedelta(hours=1)))
    await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    clock.advance(seconds=30)

    with pytest.raises(RateLimitedError) as refused:
        await push(PushCommandFactory.build(subject="h2", phone="254712345678"))

    assert refused.value.details == [{"retry_after": 90}]
    assert len(payments.all()) == 1
    assert len(provider.requests) == 1


async def test_a_prompt_older_than_its_lifetime_no_longer_blocks_the_phone(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    push = pusher(payments, provider, clock, PromptLimits(per_phone=0, window=timedelta(hours=1)))
    await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    clock.advance(seconds=121)

    await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    assert len(payments.all()) == 2


async def test_a_prompt_settled_by_its_callback_frees_the_phone_for_the_next_one(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    limits = PromptLimits(per_phone=0, window=timedelta(hours=1))
    push = pusher(payments, provider, clock, limits)
    first = await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    callback = HandleStkCallback(payments, FakeBroadcaster(), clock, FakeAnomalies())
    await callback(first.callback_token, success_for(first))

    second = await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    assert [p.status for p in payments.all()].count(PaymentStatus.PENDING) == 1
    holder = payments.phone_holder(second.phone.msisdn)
    assert holder is not None and holder.id == second.id


async def test_a_push_daraja_refuses_frees_the_phone_at_once(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    push = pusher(payments, provider, clock, PromptLimits(per_phone=0, window=timedelta(hours=1)))
    provider.will_raise(ProviderRejectedError("400.002.02", "Bad Request - Invalid PhoneNumber"))
    with pytest.raises(ProviderRejectedError):
        await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    assert len(provider.requests) == 2


async def test_a_push_whose_answer_was_lost_keeps_the_phone_until_the_lock_expires(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    push = pusher(payments, provider, clock, PromptLimits(per_phone=0, window=timedelta(hours=1)))
    provider.will_raise(TimeoutError("read timed out"))
    with pytest.raises(TimeoutError):
        await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    clock.advance(seconds=60)

    with pytest.raises(RateLimitedError) as refused:
        await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    assert refused.value.retry_after == 60


async def test_a_push_refused_by_the_window_holds_no_phone(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    push = pusher(payments, provider, clock, PromptLimits(per_phone=1, window=timedelta(hours=1)))
    first = await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    first.settle(success_for(first), clock.now())
    await payments.save(first)

    with pytest.raises(RateLimitedError):
        await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    assert payments.phone_holder(first.phone.msisdn) is None
    assert len(payments.all()) == 1


async def test_a_push_refused_because_a_prompt_is_open_does_not_use_up_the_window(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    push = pusher(payments, provider, clock, PromptLimits(per_phone=2, window=timedelta(hours=1)))
    first = await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    for _ in range(3):
        with pytest.raises(RateLimitedError, match="already has a payment prompt"):
            await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    first.settle(success_for(first), clock.now())
    await payments.save(first)

    await push(PushCommandFactory.build(subject="h1", phone=PHONE))  # the second of 2 in the window

    assert len(provider.requests) == 2


async def test_past_the_prompts_per_window_a_phone_is_refused_until_the_window_ends(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    limits = PromptLimits(per_phone=2, window=timedelta(hours=1), one_pending=False)
    push = pusher(payments, provider, clock, limits)
    await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    with pytest.raises(RateLimitedError) as refused:
        await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    window_end = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert refused.value.retry_after == int((window_end - clock.now()).total_seconds())
    assert len(provider.requests) == 2


async def test_a_repeated_push_with_its_ref_gets_its_payment_back_not_a_refusal(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    limiter = FakeRateLimiter()
    push = pusher(payments, provider, clock, PromptLimits(per_phone=1, window=timedelta(hours=1)), limiter)
    command = PushCommandFactory.build(subject="h1", phone=PHONE, idempotency_key="order-1")
    first = await push(command)

    again = await push(command)

    assert again.id == first.id
    assert limiter.uses == ["stk-phone:254712345678"]


async def test_invalid_input_is_refused_as_invalid_before_any_limit_is_counted(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    limiter = FakeRateLimiter()
    push = pusher(payments, provider, clock, PromptLimits(per_phone=1, window=timedelta(hours=1)), limiter)

    with pytest.raises(Exception, match="amount"):
        await push(PushCommandFactory.build(subject="h1", phone=PHONE, amount=0))

    assert limiter.uses == []


async def test_a_push_refused_by_the_window_does_not_count_either(
    payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    limiter = FakeRateLimiter()
    limits = PromptLimits(per_phone=1, window=timedelta(hours=1), one_pending=False)
    push = pusher(payments, provider, clock, limits, limiter)
    await push(PushCommandFactory.build(subject="h1", phone=PHONE))
    for _ in range(3):
        with pytest.raises(RateLimitedError):
            await push(PushCommandFactory.build(subject="h1", phone=PHONE))

    assert await limiter.try_acquire("stk-phone:254712345678", 2, timedelta(hours=1), clock.now()) is None
