from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import CallbackRejectedError, PaymentFinalError
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.shared.phone import Phone
from domain.stk.payment import Payment, StkPushAccepted
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import CREATED_AT, PaymentFactory, failure_for, success_for, unknown_outcome_payment

LATER = CREATED_AT + timedelta(minutes=1)
MUCH_LATER = CREATED_AT + timedelta(minutes=5)


def test_a_started_payment_is_pending_with_no_daraja_ids() -> None:
    payment = PaymentFactory.build()

    started = Payment.start(
        payment_id=payment.id,
        subject=payment.subject,
        phone=payment.phone,
        amount=payment.amount,
        description=payment.description,
        callback_token=payment.callback_token,
        now=CREATED_AT,
    )

    assert started.status is PaymentStatus.PENDING
    assert (started.checkout, started.merchant_request, started.outcome_unknown) == (None, None, False)
    assert started.created_at == started.updated_at == CREATED_AT


def test_stk_request_carries_the_payment_and_its_callback_token() -> None:
    payment = PaymentFactory.build(id="0123456789abcdef01234567")

    request = payment.stk_request()

    assert (request.phone, request.amount, request.description) == (payment.phone, payment.amount, payment.description)
    assert request.callback_token == payment.callback_token
    assert request.account_reference == "0123456789ab"


def test_accepting_stores_darajas_ids_and_stays_pending() -> None:
    payment = PaymentFactory.build(checkout=None, merchant_request=None)

    payment.accept(StkPushAccepted("29115-34620561-1", "ws_CO_191220191020363925"), LATER)

    assert (payment.merchant_request, payment.checkout) == ("29115-34620561-1", "ws_CO_191220191020363925")
    assert payment.status is PaymentStatus.PENDING
    assert payment.updated_at == LATER


def test_a_success_result_settles_with_receipt_and_transaction_date() -> None:
    payment = PaymentFactory.build()

    payment.settle(success_for(payment, receipt="NLJ7RT61SV", transaction_date="20250314091000"), LATER)

    assert payment.status is PaymentStatus.SUCCESS
    assert (payment.receipt, payment.transaction_date) == ("NLJ7RT61SV", "20250314091000")
    assert (payment.result_code, payment.updated_at) == ("0", LATER)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("1032", PaymentStatus.CANCELLED),
        ("1037", PaymentStatus.TIMEOUT),
        ("1", PaymentStatus.FAILED),
        ("2001", PaymentStatus.FAILED),
        ("777777", PaymentStatus.FAILED),
    ],
)
def test_an_unpaid_result_settles_to_its_final_status_without_a_receipt(code: str, status: PaymentStatus) -> None:
    payment = PaymentFactory.build()

    payment.settle(failure_for(payment, code, "Request cancelled by user"), LATER)

    assert payment.status is status
    assert (payment.result_code, payment.result_desc) == (code, "Request cancelled by user")
    assert payment.receipt is None


def test_an_unpaid_result_never_records_a_receipt_even_if_one_is_sent() -> None:
    payment = PaymentFactory.build()

    payment.settle(success_for(payment, result_code="1032", receipt="NLJ7RT61SV"), LATER)

    assert payment.status is PaymentStatus.CANCELLED
    assert payment.receipt is None


def test_rejecting_fails_the_payment_with_darajas_code() -> None:
    payment = PaymentFactory.build(checkout=None, merchant_request=None)

    payment.reject("400.002.02", "Bad Request - Invalid PhoneNumber", LATER)

    assert payment.status is PaymentStatus.FAILED
    assert (payment.result_code, payment.result_desc) == ("400.002.02", "Bad Request - Invalid PhoneNumber")


def test_an_unknown_outcome_keeps_the_payment_pending() -> None:
    payment = PaymentFactory.build(checkout=None, merchant_request=None)

    payment.mark_outcome_unknown(LATER)

    assert payment.status is PaymentStatus.PENDING
    assert payment.outcome_unknown is True
    assert payment.updated_at == LATER


def test_a_result_for_an_unknown_outcome_adopts_darajas_ids() -> None:
    payment = unknown_outcome_payment()
    result = success_for(payment, checkout="ws_CO_000000000000000000000001", merchant_request="1-2-3")

    payment.settle(result, LATER)

    assert (payment.checkout, payment.merchant_request) == ("ws_CO_000000000000000000000001", "1-2-3")
    assert payment.outcome_unknown is False
    assert payment.status is PaymentStatus.SUCCESS


def _succeeded() -> Payment:
    payment = PaymentFactory.build()
    payment.settle(success_for(payment), LATER)
    return payment


def _cancelled() -> Payment:
    payment = PaymentFactory.build()
    payment.settle(failure_for(payment, "1032"), LATER)
    return payment


def _rejected() -> Payment:
    payment = PaymentFactory.build(checkout=None, merchant_request=None)
    payment.reject("500.001.1001", "Unable to lock subscriber", LATER)
    return payment


FINAL_PAYMENTS = [
    pytest.param(_succeeded, id="success"),
    pytest.param(_cancelled, id="cancelled"),
    pytest.param(_rejected, id="failed"),
]

CHANGES: dict[str, Callable[[Payment], None]] = {
    "settle success": lambda p: p.settle(success_for(p, receipt="OTHER00000"), MUCH_LATER),
    "settle cancelled": lambda p: p.settle(success_for(p, result_code="1032"), MUCH_LATER),
    "reject": lambda p: p.reject("1", "insufficient", MUCH_LATER),
    "accept": lambda p: p.accept(StkPushAccepted("m", "c"), MUCH_LATER),
    "mark outcome unknown": lambda p: p.mark_outcome_unknown(MUCH_LATER),
}


@pytest.mark.parametrize("final_payment", FINAL_PAYMENTS)
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_final_payment_never_changes(final_payment: Callable[[], Payment], change: Callable[[Payment], None]) -> None:
    payment = final_payment()
    before = payment.view()

    with pytest.raises(PaymentFinalError):
        change(payment)

    assert payment.view() == before


def test_settling_twice_with_the_same_result_is_refused_as_final() -> None:
    payment = PaymentFactory.build()
    result = success_for(payment)
    payment.settle(result, LATER)

    with pytest.raises(PaymentFinalError):
        payment.settle(result, MUCH_LATER)

    assert payment.updated_at == LATER


MISMATCHES = {
    "another checkout": {"checkout": "ws_CO_someone_else"},
    "another merchant request": {"merchant_request": "99999-99999999-9"},
    "another amount": {"amount": 1},
    "no amount": {"amount": None},
    "another phone": {"phone": "254799999999"},
    "no receipt": {"receipt": None},
    "empty receipt": {"receipt": ""},
}


@pytest.mark.parametrize("mismatch", MISMATCHES.values(), ids=MISMATCHES.keys())
def test_a_success_that_contradicts_the_payment_is_rejected_and_changes_nothing(mismatch: dict[str, object]) -> None:
    payment = PaymentFactory.build(amount=Amount(500))
    before = payment.view()

    with pytest.raises(CallbackRejectedError):
        payment.settle(success_for(payment, **mismatch), LATER)

    assert payment.view() == before


@pytest.mark.parametrize("mismatch", [{"checkout": "ws_CO_someone_else"}, {"merchant_request": "9-9-9"}])
def test_an_unpaid_result_naming_another_push_is_rejected(mismatch: dict[str, str]) -> None:
    payment = PaymentFactory.build()
    before = payment.view()

    with pytest.raises(CallbackRejectedError):
        payment.settle(success_for(payment, result_code="1032", **mismatch), LATER)

    assert payment.view() == before


def test_a_success_without_a_phone_is_accepted() -> None:
    payment = PaymentFactory.build()

    payment.settle(success_for(payment, phone=None), LATER)

    assert payment.status is PaymentStatus.SUCCESS


def test_view_is_what_every_client_sees() -> None:
    created = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    payment = PaymentFactory.build(
        id="pay000000001",
        checkout="ws_CO_191220191020363925",
        merchant_request="29115-34620561-1",
        phone=Phone.parse("0712345678"),
        amount=Amount(150),
        description=Description("Order 42"),
        created_at=created,
        updated_at=created,
        reference=MerchantReference("INV-42"),
        metadata=Metadata.stored({"order": 42, "gift": False}),
        version=3,
    )
    settled = created + timedelta(minutes=1)
    payment.settle(success_for(payment, receipt="NLJ7RT61SV", transaction_date="20250314120215"), settled)

    view = payment.view()

    assert view == {
        "id": "pay000000001",
        "checkout": "ws_CO_191220191020363925",
        "merchant_request": "29115-34620561-1",
        "status": "success",
        "phone": "254712345678",
        "amount": 150,
        "description": "Order 42",
        "created_at": "2025-03-14T09:00:00+00:00",
        "updated_at": "2025-03-14T09:01:00+00:00",
        "result_code": "0",
        "result_desc": "The service request is processed successfully.",
        "receipt": "NLJ7RT61SV",
        "transaction_date": "20250314120215",
        "outcome_unknown": False,
        "message": "Payment received.",
        "reference": "INV-42",
        "metadata": {"order": 42, "gift": False},
        "reversal_id": None,
        "version": 3,
    }


def test_view_of_a_pending_payment_has_no_result_yet() -> None:
    payment = PaymentFactory.build()

    view = payment.view()

    assert view["status"] == "pending"
    assert [view[key] for key in ("result_code", "result_desc", "receipt", "message")] == [None] * 4


def test_a_push_without_darajas_ids_is_shown_as_outcome_unknown_only_once_no_answer_can_still_come() -> None:
    payment = Payment.start(
        payment_id="pay_1",
        subject="h",
        phone=Phone.parse("254708374149"),
        amount=Amount.parse(10, maximum=1000),
        description=Description.parse("Order"),
        callback_token="t",
        now=CREATED_AT,
    )
    after = timedelta(minutes=2)

    in_flight = payment.view_as_of(CREATED_AT + timedelta(seconds=119), after)
    unanswered = payment.view_as_of(CREATED_AT + timedelta(seconds=120), after)

    assert (in_flight["outcome_unknown"], in_flight["age_seconds"]) == (False, 119)
    assert (unanswered["outcome_unknown"], unanswered["age_seconds"]) == (True, 120)
    assert payment.view()["outcome_unknown"] is False and "age_seconds" not in payment.view()
    assert not payment.queryable


def test_an_accepted_or_final_push_is_never_shown_as_outcome_unknown_by_age() -> None:
    payment = Payment.start(
        payment_id="pay_1",
        subject="h",
        phone=Phone.parse("254708374149"),
        amount=Amount.parse(10, maximum=1000),
        description=Description.parse("Order"),
        callback_token="t",
        now=CREATED_AT,
    )
    payment.accept(StkPushAccepted("mr", "ws_CO_1"), CREATED_AT)
    accepted = payment.view_as_of(CREATED_AT + timedelta(hours=1))
    payment.reject("1", "refused", CREATED_AT + timedelta(hours=1))

    assert (accepted["outcome_unknown"], accepted["age_seconds"]) == (False, 3600)
    assert "age_seconds" not in payment.view_as_of(CREATED_AT + timedelta(hours=2))
