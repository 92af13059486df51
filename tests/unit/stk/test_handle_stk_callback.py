from datetime import timedelta

import pytest

from domain.callbacks.outcome import CallbackOutcome
from domain.shared.amount import Amount
from domain.shared.errors import CallbackRejectedError, ConcurrentUpdateError
from domain.stk.payment import Payment
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.handle_callback import HandleStkCallback
from tests.support.factories import PaymentFactory, failure_for, success_for, unknown_outcome_payment
from tests.unit.fakes import FakeAnomalies, FakeBroadcaster, FakePaymentRepository, FixedClock

SUBJECT = "c0ffee" * 5


@pytest.fixture
def payment() -> Payment:
    return PaymentFactory.build(subject=SUBJECT, callback_token="token-1")


@pytest.fixture
def payments(payment: Payment) -> FakePaymentRepository:
    return FakePaymentRepository(PaymentFactory.build(subject=SUBJECT, callback_token="token-2"), payment)


@pytest.fixture
def handle(
    payments: FakePaymentRepository, broadcaster: FakeBroadcaster, clock: FixedClock, anomalies: FakeAnomalies
) -> HandleStkCallback:
    return HandleStkCallback(payments, broadcaster, clock, anomalies)


async def test_a_success_callback_settles_the_payment_with_its_receipt(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, clock: FixedClock
) -> None:
    outcome = await handle("token-1", success_for(payment, receipt="NLJ7RT61SV"))

    stored = payments.get(payment.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (stored.status, stored.receipt, stored.result_code) == (PaymentStatus.SUCCESS, "NLJ7RT61SV", "0")
    assert stored.updated_at == clock.now()


async def test_the_settled_payment_is_published_on_its_subject_topic(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, broadcaster: FakeBroadcaster
) -> None:
    await handle("token-1", success_for(payment))

    assert broadcaster.published == [(f"/mpesa/{SUBJECT}", payments.get(payment.id).view())]


async def test_only_the_payment_the_token_names_is_settled(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment
) -> None:
    await handle("token-1", success_for(payment))

    others = [p for p in payments.all() if p.id != payment.id]
    assert [p.status for p in others] == [PaymentStatus.PENDING]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("1032", PaymentStatus.CANCELLED),
        ("1037", PaymentStatus.TIMEOUT),
        ("1", PaymentStatus.FAILED),
        ("2001", PaymentStatus.FAILED),
    ],
)
async def test_an_unpaid_callback_settles_to_its_status(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    broadcaster: FakeBroadcaster,
    code: str,
    status: PaymentStatus,
) -> None:
    outcome = await handle("token-1", failure_for(payment, code))

    stored = payments.get(payment.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (stored.status, stored.result_code, stored.receipt) == (status, code, None)
    assert broadcaster.published == [(f"/mpesa/{SUBJECT}", stored.view())]


@pytest.mark.parametrize("repeat", ["same result", "different result"])
async def test_a_duplicate_callback_after_the_payment_is_final_changes_nothing(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    repeat: str,
) -> None:
    await handle("token-1", success_for(payment))
    settled, published = payments.get(payment.id), list(broadcaster.published)
    clock.advance(minutes=1)
    again = success_for(payment) if repeat == "same result" else failure_for(payment, "1032")

    outcome = await handle("token-1", again)

    assert outcome is CallbackOutcome.DUPLICATE
    assert payments.get(payment.id).view() == settled.view()
    assert payments.get(payment.id).version == settled.version
    assert broadcaster.published == published


async def test_a_callback_with_an_unknown_token_is_rejected_and_changes_nothing(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, broadcaster: FakeBroadcaster
) -> None:
    before = [p.view() for p in payments.all()]

    with pytest.raises(CallbackRejectedError):
        await handle("token-guessed", success_for(payment))

    assert [p.view() for p in payments.all()] == before
    assert broadcaster.published == []


@pytest.mark.parametrize(
    "contradiction",
    [{"amount": 1}, {"phone": "254700000001"}, {"receipt": None}, {"checkout": "ws_CO_other"}],
    ids=["amount", "phone", "receipt", "checkout"],
)
async def test_a_callback_contradicting_its_payment_is_rejected_and_changes_nothing(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    broadcaster: FakeBroadcaster,
    contradiction: dict[str, object],
) -> None:
    payment = PaymentFactory.build(subject=SUBJECT, callback_token="token-3", amount=Amount(500))
    await payments.add(payment)
    before = [p.view() for p in payments.all()]

    with pytest.raises(CallbackRejectedError):
        await handle("token-3", success_for(payment, **contradiction))

    assert [p.view() for p in payments.all()] == before
    assert payments.get(payment.id).version == 0
    assert broadcaster.published == []


async def test_a_concurrent_write_between_read_and_save_is_resolved_by_reading_again(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, broadcaster: FakeBroadcaster
) -> None:
    payments.interleave_write()

    outcome = await handle("token-1", success_for(payment))

    stored = payments.get(payment.id)
    assert outcome is CallbackOutcome.APPLIED
    assert stored.status is PaymentStatus.SUCCESS
    assert stored.version == 2
    assert broadcaster.published == [(f"/mpesa/{SUBJECT}", stored.view())]


async def test_a_concurrent_writer_that_settled_first_makes_the_callback_a_duplicate(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    reconciled_at = clock.now() - timedelta(seconds=1)
    payments.interleave_write(lambda stored: stored.settle(failure_for(stored, "1037"), reconciled_at))

    outcome = await handle("token-1", success_for(payment))

    stored = payments.get(payment.id)
    assert outcome is CallbackOutcome.DUPLICATE
    assert (stored.status, stored.updated_at) == (PaymentStatus.TIMEOUT, reconciled_at)
    assert broadcaster.published == []


async def test_a_payment_that_keeps_changing_gives_up_without_settling(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, broadcaster: FakeBroadcaster
) -> None:
    for _ in range(3):
        payments.interleave_write()

    with pytest.raises(ConcurrentUpdateError):
        await handle("token-1", success_for(payment))

    assert payments.get(payment.id).status is PaymentStatus.PENDING
    assert broadcaster.published == []


async def test_a_callback_for_a_push_with_unknown_outcome_adopts_darajas_ids(
    payments: FakePaymentRepository, broadcaster: FakeBroadcaster, clock: FixedClock, anomalies: FakeAnomalies
) -> None:
    lost = unknown_outcome_payment(subject=SUBJECT, callback_token="token-lost")
    await payments.add(lost)
    handle = HandleStkCallback(payments, broadcaster, clock, anomalies)
    result = success_for(lost, checkout="ws_CO_191220191020363925", merchant_request="29115-34620561-1")

    outcome = await handle("token-lost", result)

    stored = payments.get(lost.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (stored.checkout, stored.merchant_request) == ("ws_CO_191220191020363925", "29115-34620561-1")
    assert (stored.status, stored.outcome_unknown) == (PaymentStatus.SUCCESS, False)
    assert broadcaster.published == [(f"/mpesa/{SUBJECT}", stored.view())]


async def test_a_late_callback_completes_a_success_a_query_recorded_with_its_receipt(
    broadcaster: FakeBroadcaster, clock: FixedClock, anomalies: FakeAnomalies
) -> None:
    queried = PaymentFactory.build(subject=SUBJECT, callback_token="token-q")
    queried.settle_from_query(StkQueryAnswer(queried.checkout or "", queried.merchant_request, "0", "ok"), clock.now())
    payments = FakePaymentRepository(queried)
    handle = HandleStkCallback(payments, broadcaster, clock, anomalies)

    outcome = await handle("token-q", success_for(queried, receipt="NLJ7RT61SV"))

    stored = payments.get(queried.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (stored.status, stored.receipt) == (PaymentStatus.SUCCESS, "NLJ7RT61SV")
    assert broadcaster.published == [(f"/mpesa/{SUBJECT}", stored.view())]
    assert anomalies.recorded == []


async def test_a_second_receipt_for_a_settled_success_changes_nothing(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment
) -> None:
    await handle("token-1", success_for(payment, receipt="NLJ7RT61SV"))

    outcome = await handle("token-1", success_for(payment, receipt="OTHER00000"))

    assert outcome is CallbackOutcome.DUPLICATE
    assert payments.get(payment.id).receipt == "NLJ7RT61SV"
