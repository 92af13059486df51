from datetime import timedelta

import pytest

from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import (
    ProviderOutcomeUnknownError,
    ProviderRejectedError,
    ProviderUnreachableError,
    ValidationError,
)
from domain.shared.phone import Phone
from domain.stk.payment import Payment, StkPushRequest
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.push_payment import PushPayment
from tests.support.factories import PushCommandFactory, success_for
from tests.unit.fakes import (
    FakeBroadcaster,
    FakeIdempotencyKeys,
    FakePaymentProvider,
    FakePaymentRepository,
    FixedClock,
    SequentialIdentifiers,
)

MAXIMUM = 150_000


@pytest.fixture
def push(
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    identifiers: SequentialIdentifiers,
    keys: FakeIdempotencyKeys,
) -> PushPayment:
    return PushPayment(payments, provider, broadcaster, clock, identifiers, keys, maximum_amount=MAXIMUM)


async def test_the_payment_is_recorded_before_daraja_is_asked(
    payments: FakePaymentRepository, broadcaster: FakeBroadcaster, clock: FixedClock, identifiers: SequentialIdentifiers
) -> None:
    stored_when_asked: list[list[Payment]] = []

    async def look_at_the_store(_: StkPushRequest) -> None:
        stored_when_asked.append(payments.all())

    push = PushPayment(
        payments,
        FakePaymentProvider(look_at_the_store),
        broadcaster,
        clock,
        identifiers,
        FakeIdempotencyKeys(),
        maximum_amount=MAXIMUM,
    )

    await push(PushCommandFactory.build(subject="h1", phone="0712345678"))

    [[stored]] = stored_when_asked
    assert (stored.subject, stored.phone, stored.status, stored.checkout) == (
        "h1",
        Phone("254712345678"),
        PaymentStatus.PENDING,
        None,
    )


async def test_an_accepted_push_stores_darajas_ids_and_stays_pending(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    provider.will_accept("29115-34620561-1", "ws_CO_191220191020363925")

    payment = await push(PushCommandFactory.build())

    stored = payments.get(payment.id)
    assert (stored.merchant_request, stored.checkout) == ("29115-34620561-1", "ws_CO_191220191020363925")
    assert stored.status is PaymentStatus.PENDING
    assert stored.outcome_unknown is False
    assert payment.view() == stored.view()


async def test_daraja_is_asked_once_with_the_parsed_payment_and_its_secret_token(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    command = PushCommandFactory.build(phone="+254 112 345 678", amount=150, description="  Order   42 ")

    payment = await push(command)

    assert provider.requests == [
        StkPushRequest(
            Phone("254112345678"),
            Amount(150),
            Description("Order 42"),
            account_reference=payment.id[:12],
            callback_token="cb-secret-0001",
        )
    ]
    assert payments.get(payment.id).callback_token == "cb-secret-0001"


async def test_the_payment_is_stamped_when_started_and_when_daraja_answered(
    payments: FakePaymentRepository, broadcaster: FakeBroadcaster, clock: FixedClock, identifiers: SequentialIdentifiers
) -> None:
    started = clock.now()

    async def daraja_takes_two_seconds(_: StkPushRequest) -> None:
        clock.advance(seconds=2)

    push = PushPayment(
        payments,
        FakePaymentProvider(daraja_takes_two_seconds),
        broadcaster,
        clock,
        identifiers,
        FakeIdempotencyKeys(),
        maximum_amount=MAXIMUM,
    )

    payment = await push(PushCommandFactory.build())

    stored = payments.get(payment.id)
    assert (stored.created_at, stored.updated_at) == (started, started + timedelta(seconds=2))


async def test_the_accepted_payment_is_published_on_its_subject_topic(
    push: PushPayment, payments: FakePaymentRepository, broadcaster: FakeBroadcaster
) -> None:
    payment = await push(PushCommandFactory.build(subject="5f2b9c"))

    assert broadcaster.published == [("/mpesa/5f2b9c", payments.get(payment.id).view())]


INVALID = {
    "short phone": ("phone", {"phone": "0712"}),
    "non-safaricom phone": ("phone", {"phone": "254812345678"}),
    "phone with letters": ("phone", {"phone": "07123abc78"}),
    "empty phone": ("phone", {"phone": ""}),
    "no phone": ("phone", {"phone": None}),
    "boolean phone": ("phone", {"phone": True}),
    "float phone": ("phone", {"phone": 712345678.0}),
    "zero amount": ("amount", {"amount": 0}),
    "negative amount": ("amount", {"amount": -5}),
    "fractional amount": ("amount", {"amount": 1.5}),
    "amount as text": ("amount", {"amount": "100"}),
    "boolean amount": ("amount", {"amount": True}),
    "amount above the configured maximum": ("amount", {"amount": MAXIMUM + 1}),
    "empty description": ("description", {"description": "   "}),
    "overlong description": ("description", {"description": "x" * 2_000}),
    "no description": ("description", {"description": None}),
}


@pytest.mark.parametrize(("field", "bad"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_input_is_refused_before_anything_is_recorded_or_sent(
    push: PushPayment,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    field: str,
    bad: dict[str, object],
) -> None:
    with pytest.raises(ValidationError) as refused:
        await push(PushCommandFactory.build(**bad))

    assert refused.value.field == field
    assert payments.all() == []
    assert provider.requests == []
    assert broadcaster.published == []


async def test_the_configured_maximum_amount_is_allowed(push: PushPayment, payments: FakePaymentRepository) -> None:
    payment = await push(PushCommandFactory.build(amount=MAXIMUM))

    assert payments.get(payment.id).amount == Amount(MAXIMUM)


async def test_a_refused_push_fails_the_payment_with_darajas_code_and_reraises(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster
) -> None:
    refusal = ProviderRejectedError("400.002.02", "Bad Request - Invalid PhoneNumber")
    provider.will_raise(refusal)

    with pytest.raises(ProviderRejectedError) as raised:
        await push(PushCommandFactory.build(subject="h1"))

    assert raised.value is refusal
    [stored] = payments.all()
    assert stored.status is PaymentStatus.FAILED
    assert (stored.result_code, stored.result_desc) == ("400.002.02", "Bad Request - Invalid PhoneNumber")
    assert broadcaster.published == [("/mpesa/h1", stored.view())]


async def test_a_push_that_never_reached_daraja_fails_the_payment_and_reraises(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster
) -> None:
    provider.will_raise(ProviderUnreachableError("connection refused"))

    with pytest.raises(ProviderUnreachableError):
        await push(PushCommandFactory.build(subject="h1"))

    [stored] = payments.all()
    assert stored.status is PaymentStatus.FAILED
    assert (stored.result_code, stored.result_desc) == ("PROVIDER_UNAVAILABLE", "connection refused")
    assert broadcaster.published == [("/mpesa/h1", stored.view())]


async def test_a_push_with_an_unknown_outcome_stays_pending_for_darajas_callback(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster
) -> None:
    provider.will_raise(ProviderOutcomeUnknownError("read timed out"))

    with pytest.raises(ProviderOutcomeUnknownError):
        await push(PushCommandFactory.build(subject="h1"))

    [stored] = payments.all()
    assert stored.status is PaymentStatus.PENDING
    assert stored.outcome_unknown is True
    assert (stored.checkout, stored.result_code) == (None, None)
    assert len(provider.requests) == 1
    assert broadcaster.published == [("/mpesa/h1", stored.view())]


async def test_each_push_is_a_new_payment(push: PushPayment, payments: FakePaymentRepository) -> None:
    command = PushCommandFactory.build()

    first = await push(command)
    second = await push(command)

    assert first.id != second.id
    assert first.callback_token != second.callback_token
    assert {p.checkout for p in payments.all()} == {first.checkout, second.checkout}


async def test_a_callback_that_lands_before_the_push_is_saved_wins_without_an_error(
    payments: FakePaymentRepository, broadcaster: FakeBroadcaster, clock: FixedClock, identifiers: SequentialIdentifiers
) -> None:
    async def callback_settles_first(request: StkPushRequest) -> None:
        [pending] = payments.all()
        result = success_for(pending, checkout="ws_CO_1", merchant_request="m-1")
        payments.write_behind_your_back(pending.id, lambda stored: stored.settle(result, clock.now()))

    provider = FakePaymentProvider(callback_settles_first)
    provider.will_accept("m-1", "ws_CO_1")
    push = PushPayment(
        payments, provider, broadcaster, clock, identifiers, FakeIdempotencyKeys(), maximum_amount=MAXIMUM
    )

    payment = await push(PushCommandFactory.build())

    assert payment.status is PaymentStatus.SUCCESS
    assert payments.get(payment.id).status is PaymentStatus.SUCCESS


async def test_a_store_outage_after_daraja_accepted_still_tells_the_client_the_prompt_was_sent(
    push: PushPayment, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    provider.will_accept("m-1", "ws_CO_1")
    payments.store_goes_down_on_save()

    payment = await push(PushCommandFactory.build())

    assert payment.checkout == "ws_CO_1"
    assert payment.status is PaymentStatus.PENDING
    assert len(provider.requests) == 1
    [stored] = payments.all()
    assert stored.checkout is None  # still findable by its callback token, which settles it
