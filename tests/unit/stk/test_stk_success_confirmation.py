"""CONFIRM_SUCCESS_CALLBACKS for STK: a success callback is applied only once Daraja's STK query agrees."""

from datetime import timedelta

import pytest

from domain.callbacks.anomaly import AnomalyKind
from domain.callbacks.outcome import CallbackOutcome
from domain.shared.errors import CallbackRejectedError, ProviderUnavailableError
from domain.stk.payment import Payment
from domain.stk.prompt_limits import PromptGate, PromptLimits
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import PaymentStatus
from domain.stk.success_confirmation import ConfirmStkSuccess
from domain.stk.use_cases.handle_callback import HandleStkCallback
from domain.stk.use_cases.reconcile_payments import ReconcileStkPayments
from tests.support.factories import PaymentFactory, failure_for, success_for, unknown_outcome_payment
from tests.unit.fakes import (
    FakeAnomalies,
    FakeBroadcaster,
    FakePaymentProvider,
    FakePaymentRepository,
    FakeRateLimiter,
    FixedClock,
    FixedRandom,
)

RECHECK = timedelta(seconds=30)
RECEIPT = "NLJ7RT61SV"


@pytest.fixture
def payment() -> Payment:
    return PaymentFactory.build(callback_token="token-1")


@pytest.fixture
def payments(payment: Payment) -> FakePaymentRepository:
    return FakePaymentRepository(payment)


@pytest.fixture
def handle(
    payments: FakePaymentRepository,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    anomalies: FakeAnomalies,
) -> HandleStkCallback:
    return HandleStkCallback(
        payments, broadcaster, clock, anomalies, confirm=ConfirmStkSuccess(provider), recheck_after=RECHECK
    )


def query_says(payment: Payment, code: str, desc: str = "described by Daraja") -> StkQueryAnswer:
    assert payment.checkout is not None
    return StkQueryAnswer(payment.checkout, payment.merchant_request, code, desc)


async def test_a_success_the_query_confirms_is_applied_with_the_callbacks_receipt(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, provider: FakePaymentProvider
) -> None:
    provider.will_answer_query(payment.checkout or "", query_says(payment, "0"))

    outcome = await handle("token-1", success_for(payment, receipt=RECEIPT))

    stored = payments.get(payment.id)
    assert outcome is CallbackOutcome.APPLIED
    assert (stored.status, stored.receipt, stored.unconfirmed_success) == (PaymentStatus.SUCCESS, RECEIPT, None)
    assert provider.queries == [payment.checkout]


async def test_a_success_the_query_refutes_is_refused_and_the_payment_settles_as_the_query_says(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    provider: FakePaymentProvider,
    anomalies: FakeAnomalies,
    broadcaster: FakeBroadcaster,
) -> None:
    provider.will_answer_query(payment.checkout or "", query_says(payment, "1032", "Request cancelled by user"))

    with pytest.raises(CallbackRejectedError):
        await handle("token-1", success_for(payment, receipt=RECEIPT))

    stored = payments.get(payment.id)
    assert (stored.status, stored.receipt, stored.result_code) == (PaymentStatus.CANCELLED, None, "1032")
    assert anomalies.kinds() == [AnomalyKind.UNCONFIRMED_SUCCESS]
    assert broadcaster.published[-1][1]["status"] == "cancelled"


@pytest.mark.parametrize(
    "query_answer",
    [ProviderUnavailableError("Daraja did not answer"), None],
    ids=["daraja-down", "still-processing"],
)
async def test_a_success_the_query_cannot_settle_is_held_unconfirmed_and_nothing_is_published(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    query_answer: Exception | None,
) -> None:
    if query_answer is not None:
        provider.will_answer_query(payment.checkout or "", query_answer)

    outcome = await handle("token-1", success_for(payment, receipt=RECEIPT))

    stored = payments.get(payment.id)
    assert outcome is CallbackOutcome.HELD
    assert (stored.status, stored.receipt) == (PaymentStatus.PENDING, None)
    assert stored.unconfirmed_success is not None and stored.unconfirmed_success.receipt == RECEIPT
    assert stored.next_check_at == clock.now() + RECHECK
    assert broadcaster.published == []


async def test_a_held_success_is_confirmed_by_the_reconcilers_query_with_its_receipt(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    anomalies: FakeAnomalies,
) -> None:
    provider.will_answer_query(payment.checkout or "", ProviderUnavailableError("down"), query_says(payment, "0"))
    await handle("token-1", success_for(payment, receipt=RECEIPT))
    clock.advance(seconds=RECHECK.total_seconds())

    await ReconcileStkPayments(payments, provider, broadcaster, clock, FixedRandom(), anomalies=anomalies)(limit=10)

    stored = payments.get(payment.id)
    assert (stored.status, stored.receipt, stored.unconfirmed_success) == (PaymentStatus.SUCCESS, RECEIPT, None)
    assert broadcaster.published[-1][1]["receipt"] == RECEIPT
    assert anomalies.kinds() == []


async def test_a_held_success_the_reconcilers_query_refutes_is_never_applied_and_is_an_anomaly(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    anomalies: FakeAnomalies,
) -> None:
    provider.will_answer_query(
        payment.checkout or "", ProviderUnavailableError("down"), query_says(payment, "2001", "wrong PIN")
    )
    await handle("token-1", success_for(payment, receipt=RECEIPT))
    clock.advance(seconds=RECHECK.total_seconds())

    await ReconcileStkPayments(payments, provider, broadcaster, clock, FixedRandom(), anomalies=anomalies)(limit=10)

    stored = payments.get(payment.id)
    assert (stored.status, stored.receipt, stored.unconfirmed_success) == (PaymentStatus.FAILED, None, None)
    assert anomalies.kinds() == [AnomalyKind.UNCONFIRMED_SUCCESS]


async def test_a_held_success_stays_held_while_the_reconcilers_query_says_still_processing(
    handle: HandleStkCallback,
    payments: FakePaymentRepository,
    payment: Payment,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    await handle("token-1", success_for(payment, receipt=RECEIPT))
    clock.advance(seconds=RECHECK.total_seconds())

    await ReconcileStkPayments(payments, provider, broadcaster, clock, FixedRandom())(limit=10)

    stored = payments.get(payment.id)
    assert stored.status is PaymentStatus.PENDING
    assert stored.unconfirmed_success is not None
    assert len(provider.queries) == 2


async def test_a_callback_that_names_another_payment_is_refused_before_daraja_is_asked(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, provider: FakePaymentProvider
) -> None:
    with pytest.raises(CallbackRejectedError):
        await handle("token-1", success_for(payment, amount=payment.amount.shillings + 1))

    assert provider.queries == []
    assert payments.get(payment.id).unconfirmed_success is None


async def test_failures_and_repeats_for_a_final_payment_need_no_query(
    handle: HandleStkCallback, payments: FakePaymentRepository, payment: Payment, provider: FakePaymentProvider
) -> None:
    await handle("token-1", failure_for(payment, "1032"))

    outcome = await handle("token-1", success_for(payment))

    assert outcome is CallbackOutcome.DUPLICATE
    assert payments.get(payment.id).status is PaymentStatus.CANCELLED
    assert provider.queries == []


async def test_a_held_success_for_a_push_whose_answer_was_lost_gives_the_reconciler_ids_to_query(
    provider: FakePaymentProvider, broadcaster: FakeBroadcaster, clock: FixedClock, anomalies: FakeAnomalies
) -> None:
    lost = unknown_outcome_payment(callback_token="token-9")
    payments = FakePaymentRepository(lost)
    handle = HandleStkCallback(payments, broadcaster, clock, anomalies, confirm=ConfirmStkSuccess(provider))
    result = success_for(lost, checkout="ws_CO_1", merchant_request="1-2-3")

    await handle("token-9", result)

    stored = payments.get(lost.id)
    assert (stored.status, stored.checkout, stored.queryable) == (PaymentStatus.PENDING, "ws_CO_1", True)


async def test_a_confirmed_success_frees_the_phone_a_held_one_does_not(
    payments: FakePaymentRepository,
    payment: Payment,
    provider: FakePaymentProvider,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    anomalies: FakeAnomalies,
) -> None:
    gate = PromptGate(FakeRateLimiter(), PromptLimits(per_phone=0, window=timedelta(hours=1)))
    await gate.admit(payment, clock.now())
    await payments.save(payment)
    handle = HandleStkCallback(payments, broadcaster, clock, anomalies, confirm=ConfirmStkSuccess(provider))
    provider.will_answer_query(payment.checkout or "", ProviderUnavailableError("down"), query_says(payment, "0"))

    await handle("token-1", success_for(payment))
    held_by = payments.phone_holder(payment.phone.msisdn)
    await handle("token-1", success_for(payment))

    assert held_by is not None and held_by.id == payment.id
    assert payments.phone_holder(payment.phone.msisdn) is None
