"""Callbacks that are not applied: repeats that agree leave no trace; every other one is kept as an anomaly."""

from dataclasses import replace

import pytest

from domain.callbacks.anomaly import AnomalyKind, Severity
from domain.callbacks.outcome import CallbackOutcome
from domain.callbacks.received_callback import CallbackKind
from domain.shared.amount import Amount
from domain.shared.errors import CallbackRejectedError, UnknownCallbackTokenError
from domain.stk.payment import Payment
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.handle_callback import HandleStkCallback
from tests.support.factories import PaymentFactory, failure_for, success_for
from tests.unit.fakes import FakeAnomalies, FakeBroadcaster, FakePaymentRepository, FixedClock

TOKEN = "token-1"
JOURNAL_ID = "journal-7"


@pytest.fixture
def payment() -> Payment:
    return PaymentFactory.build(callback_token=TOKEN, amount=Amount(500))


@pytest.fixture
def payments(payment: Payment) -> FakePaymentRepository:
    return FakePaymentRepository(payment)


@pytest.fixture
def handle(
    payments: FakePaymentRepository, broadcaster: FakeBroadcaster, clock: FixedClock, anomalies: FakeAnomalies
) -> HandleStkCallback:
    return HandleStkCallback(payments, broadcaster, clock, anomalies)


async def test_a_duplicate_that_agrees_changes_nothing_and_records_no_anomaly(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, anomalies: FakeAnomalies
) -> None:
    await handle(TOKEN, success_for(payment), JOURNAL_ID)
    settled = payments.get(payment.id)

    outcome = await handle(TOKEN, success_for(payment), JOURNAL_ID)

    assert outcome is CallbackOutcome.DUPLICATE
    assert (payments.get(payment.id).view(), payments.get(payment.id).version) == (settled.view(), settled.version)
    assert anomalies.recorded == []


async def test_a_duplicate_that_disagrees_is_acknowledged_and_recorded(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    anomalies: FakeAnomalies,
    clock: FixedClock,
) -> None:
    await handle(TOKEN, success_for(payment))
    settled = payments.get(payment.id)
    clock.advance(minutes=5)

    outcome = await handle(TOKEN, failure_for(payment, "1032"), JOURNAL_ID)

    [anomaly] = anomalies.recorded
    assert outcome is CallbackOutcome.DUPLICATE
    assert payments.get(payment.id).view() == settled.view()
    assert (anomaly.kind, anomaly.severity, anomaly.callback) == (
        AnomalyKind.DUPLICATE_DISAGREES,
        Severity.WARNING,
        CallbackKind.STK,
    )
    assert (anomaly.payment_id, anomaly.checkout, anomaly.merchant_request) == (
        payment.id,
        payment.checkout,
        payment.merchant_request,
    )
    assert (anomaly.result_code, anomaly.stored_status, anomaly.stored_result_code) == ("1032", "success", "0")
    assert (anomaly.journal_id, anomaly.at) == (JOURNAL_ID, clock.now())


async def test_a_success_after_a_final_failure_is_a_late_success_of_the_highest_severity(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, anomalies: FakeAnomalies
) -> None:
    await handle(TOKEN, failure_for(payment, "1037"))

    outcome = await handle(TOKEN, success_for(payment), JOURNAL_ID)

    [anomaly] = anomalies.recorded
    assert outcome is CallbackOutcome.DUPLICATE
    assert payments.get(payment.id).status is PaymentStatus.TIMEOUT
    assert (anomaly.kind, anomaly.severity) == (AnomalyKind.LATE_SUCCESS, Severity.CRITICAL)
    assert (anomaly.result_code, anomaly.stored_status, anomaly.stored_result_code) == ("0", "timeout", "1037")


async def test_a_callback_with_an_unknown_token_is_recorded_as_rejected(
    handle: HandleStkCallback, payment: Payment, anomalies: FakeAnomalies
) -> None:
    with pytest.raises(UnknownCallbackTokenError):  # the controller then journals only a digest, with no lookup
        await handle("token-guessed", success_for(payment), JOURNAL_ID)

    [anomaly] = anomalies.recorded
    assert (anomaly.kind, anomaly.payment_id, anomaly.stored_status) == (AnomalyKind.REJECTED, None, None)
    assert (anomaly.checkout, anomaly.journal_id) == (payment.checkout, JOURNAL_ID)
    assert anomaly.reason == "no payment has this callback URL"


@pytest.mark.parametrize(
    ("contradiction", "reason"),
    [
        ({"amount": 1}, "amount"),
        ({"phone": "254700000001"}, "phone"),
        ({"checkout": "ws_CO_other"}, "CheckoutRequestID"),
        ({"merchant_request": "1-2-3"}, "MerchantRequestID"),
    ],
    ids=["amount", "phone", "checkout", "merchant-request"],
)
async def test_a_callback_contradicting_its_payment_is_recorded_as_rejected_with_the_reason(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    anomalies: FakeAnomalies,
    contradiction: dict[str, object],
    reason: str,
) -> None:
    with pytest.raises(CallbackRejectedError) as refusal:
        await handle(TOKEN, success_for(payment, **contradiction), JOURNAL_ID)

    [anomaly] = anomalies.recorded
    assert (anomaly.kind, anomaly.payment_id, anomaly.stored_status) == (AnomalyKind.REJECTED, payment.id, "pending")
    assert reason in anomaly.reason
    assert payments.get(payment.id).status is PaymentStatus.PENDING
    assert not isinstance(refusal.value, UnknownCallbackTokenError)  # its token names a payment: kept in full


async def test_a_callback_naming_other_ids_for_a_final_payment_is_rejected_and_changes_nothing(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, anomalies: FakeAnomalies
) -> None:
    await handle(TOKEN, success_for(payment))
    settled = payments.get(payment.id)

    with pytest.raises(CallbackRejectedError):
        await handle(TOKEN, replace(failure_for(payment, "1032"), checkout="ws_CO_x"))

    [anomaly] = anomalies.recorded
    assert (anomaly.kind, anomaly.checkout, anomaly.stored_status) == (AnomalyKind.REJECTED, "ws_CO_x", "success")
    assert payments.get(payment.id).view() == settled.view()
