import asyncio
from datetime import timedelta

import pytest

from domain.shared.errors import ProviderRejectedError, ProviderUnavailableError, StoreUnavailableError
from domain.shared.status_change import ChangeCause
from domain.stk.payment import Payment
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.reconcile_payments import ReconcileStkPayments
from tests.support.factories import CREATED_AT, PaymentFactory, success_for, unknown_outcome_payment
from tests.unit.fakes import FakeBroadcaster, FakePaymentProvider, FakePaymentRepository, FixedClock, FixedRandom

TOPIC = "/mpesa/" + "a1b2c3d4" * 4
FIRST_CHECK = CREATED_AT + timedelta(seconds=30)


@pytest.fixture
def reconcile(
    payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster, clock: FixedClock
) -> ReconcileStkPayments:
    clock.set(FIRST_CHECK)
    return ReconcileStkPayments(payments, provider, broadcaster, clock, FixedRandom())


def answer(payment: Payment, code: str, desc: str = "described by Daraja") -> StkQueryAnswer:
    assert payment.checkout is not None
    return StkQueryAnswer(payment.checkout, payment.merchant_request, code, desc)


async def test_a_pending_payment_stays_pending_and_is_checked_again_later_each_time(
    reconcile: ReconcileStkPayments,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    delays = []

    for _ in range(7):
        assert await reconcile(limit=10) == 1
        stored = payments.get(payment.id)
        assert stored.next_check_at is not None
        delays.append((stored.next_check_at - clock.now()).total_seconds())
        clock.set(stored.next_check_at)

    stored = payments.get(payment.id)
    assert delays == [30, 60, 120, 240, 300, 300, 300]
    assert (stored.status, stored.check_attempts, stored.history) == (PaymentStatus.PENDING, 7, [])
    assert provider.queries == [payment.checkout] * 7
    assert broadcaster.published == []


async def test_jitter_spreads_the_next_check(
    payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster, clock: FixedClock
) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    clock.set(FIRST_CHECK)

    await ReconcileStkPayments(payments, provider, broadcaster, clock, FixedRandom(1.0))(limit=10)

    assert payments.get(payment.id).next_check_at == FIRST_CHECK + timedelta(seconds=36)


async def test_a_payment_is_not_queried_before_its_first_check(
    reconcile: ReconcileStkPayments, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    await payments.add(PaymentFactory.build(next_check_at=FIRST_CHECK + timedelta(seconds=1)))

    assert await reconcile(limit=10) == 0

    assert provider.queries == []


@pytest.mark.parametrize(
    ("code", "status"),
    [("1032", PaymentStatus.CANCELLED), ("1037", PaymentStatus.TIMEOUT), ("1", PaymentStatus.FAILED)],
)
async def test_a_final_answer_settles_the_payment_and_publishes_it_once(
    reconcile: ReconcileStkPayments,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    code: str,
    status: PaymentStatus,
) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    provider.will_answer_query(payment.checkout or "", answer(payment, code))

    await reconcile(limit=10)
    clock.advance(hours=1)
    await reconcile(limit=10)

    stored = payments.get(payment.id)
    assert (stored.status, stored.result_code, stored.next_check_at) == (status, code, None)
    assert (stored.history[-1].status, stored.history[-1].cause) == (status.value, ChangeCause.QUERY)
    assert broadcaster.published == [(TOPIC, stored.view())]
    assert provider.queries == [payment.checkout]


async def test_code_zero_settles_as_success_without_a_receipt_and_is_published(
    reconcile: ReconcileStkPayments,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    payment = PaymentFactory.build(outcome_unknown=True)
    await payments.add(payment)
    provider.will_answer_query(payment.checkout or "", StkQueryAnswer.pending_for(payment.checkout or ""))
    provider.will_answer_query(payment.checkout or "", answer(payment, "0", "processed successfully"))

    await reconcile(limit=10)
    await reconcile(limit=10)  # not due yet: the pending answer pushed the check back
    assert broadcaster.published == []

    stored = payments.get(payment.id)
    assert stored.next_check_at is not None
    clock.set(stored.next_check_at)
    await reconcile(limit=10)

    stored = payments.get(payment.id)
    assert (stored.status, stored.receipt, stored.outcome_unknown) == (PaymentStatus.SUCCESS, None, False)
    assert [view["status"] for _, view in broadcaster.published] == ["success"]


async def test_a_success_its_callback_recorded_during_the_query_is_never_overwritten(
    reconcile: ReconcileStkPayments,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    # Sandbox queries have been seen to answer a failure for a push its callback reported paid
    # (docs/daraja.md#stk-push-query).
    provider.will_answer_query(payment.checkout or "", answer(payment, "1032"))
    provider.during_query = lambda _: payments.write_behind_your_back(
        payment.id, lambda stored: stored.settle(success_for(stored), clock.now())
    )

    await reconcile(limit=10)

    stored = payments.get(payment.id)
    assert (stored.status, stored.receipt) == (PaymentStatus.SUCCESS, "NLJ7RT61SV")
    assert [change.cause for change in stored.history] == [ChangeCause.CALLBACK]
    assert broadcaster.published == []  # the callback published its own update


async def test_a_payment_settled_after_it_was_found_due_is_not_queried(
    reconcile: ReconcileStkPayments,
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    clock: FixedClock,
) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    payments.interleave_write(lambda stored: stored.settle(success_for(stored), clock.now()))

    assert await reconcile(limit=10) == 0

    assert provider.queries == []
    assert payments.get(payment.id).status is PaymentStatus.SUCCESS


async def test_two_reconcilers_query_each_due_payment_once_per_round(
    payments: FakePaymentRepository, provider: FakePaymentProvider, broadcaster: FakeBroadcaster, clock: FixedClock
) -> None:
    due = [PaymentFactory.build() for _ in range(6)]
    for payment in due:
        await payments.add(payment)
    clock.set(FIRST_CHECK)
    first, second = (ReconcileStkPayments(payments, provider, broadcaster, clock, FixedRandom()) for _ in range(2))

    claimed = await asyncio.gather(first(limit=10), second(limit=10))

    assert sum(claimed) == 6
    assert sorted(provider.queries) == sorted(p.checkout for p in due)
    assert all(payments.get(p.id).check_attempts == 1 for p in due)


async def test_a_push_whose_answer_was_lost_is_never_queried(
    reconcile: ReconcileStkPayments, payments: FakePaymentRepository, provider: FakePaymentProvider, clock: FixedClock
) -> None:
    await payments.add(unknown_outcome_payment())
    # Even one wrongly scheduled: without a CheckoutRequestID there is nothing to ask about.
    await payments.add(unknown_outcome_payment(next_check_at=CREATED_AT))
    clock.advance(days=1)

    assert await reconcile(limit=10) == 0

    assert provider.queries == []


async def test_the_limit_bounds_a_round_oldest_check_first(
    reconcile: ReconcileStkPayments, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    later = PaymentFactory.build(next_check_at=FIRST_CHECK)
    earlier = PaymentFactory.build(next_check_at=FIRST_CHECK - timedelta(seconds=5))
    await payments.add(later)
    await payments.add(earlier)

    assert await reconcile(limit=1) == 1

    assert provider.queries == [earlier.checkout]


async def test_daraja_unavailable_ends_the_round_and_the_rest_stay_due(
    reconcile: ReconcileStkPayments, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    first = PaymentFactory.build(next_check_at=FIRST_CHECK - timedelta(seconds=5))
    second = PaymentFactory.build()
    await payments.add(first)
    await payments.add(second)
    provider.will_answer_query(first.checkout or "", ProviderUnavailableError("Daraja is unavailable"))

    assert await reconcile(limit=10) == 1

    assert provider.queries == [first.checkout]
    assert payments.get(first.id).next_check_at == FIRST_CHECK + timedelta(seconds=30)
    assert payments.get(second.id).next_check_at == FIRST_CHECK
    assert payments.get(first.id).status is PaymentStatus.PENDING


async def test_a_refused_query_is_asked_again_later_and_the_round_goes_on(
    reconcile: ReconcileStkPayments, payments: FakePaymentRepository, provider: FakePaymentProvider
) -> None:
    refused = PaymentFactory.build(next_check_at=FIRST_CHECK - timedelta(seconds=5))
    other = PaymentFactory.build()
    await payments.add(refused)
    await payments.add(other)
    provider.will_answer_query(refused.checkout or "", ProviderRejectedError("400.002.02", "Invalid CheckoutRequestID"))
    provider.will_answer_query(other.checkout or "", answer(other, "1032"))

    assert await reconcile(limit=10) == 2

    assert payments.get(refused.id).status is PaymentStatus.PENDING
    assert payments.get(refused.id).check_attempts == 1
    assert payments.get(other.id).status is PaymentStatus.CANCELLED


async def test_an_unreachable_store_ends_the_round_with_its_error(
    reconcile: ReconcileStkPayments, payments: FakePaymentRepository
) -> None:
    await payments.add(PaymentFactory.build())
    payments.store_goes_down_on_save()

    with pytest.raises(StoreUnavailableError):
        await reconcile(limit=10)
