import copy
from datetime import timedelta

import pytest

from domain.shared.errors import CallbackRejectedError, PaymentFinalError
from domain.shared.status_change import ChangeCause, StatusChange
from domain.stk.payment import RECEIPT_NOT_QUERIED, Payment, StkPushAccepted
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import CREATED_AT, PaymentFactory, started_payment, success_for, unknown_outcome_payment

ACCEPTED_AT = CREATED_AT + timedelta(seconds=1)
LATER = CREATED_AT + timedelta(minutes=1)
MUCH_LATER = CREATED_AT + timedelta(minutes=5)


def accepted(payment: Payment) -> Payment:
    payment.accept(StkPushAccepted("29115-34620561-1", "ws_CO_191220191020363925"), ACCEPTED_AT)
    return payment


def final_answer(payment: Payment, code: str, desc: str = "described by Daraja") -> StkQueryAnswer:
    assert payment.checkout is not None
    return StkQueryAnswer(payment.checkout, payment.merchant_request, code, desc)


def causes(payment: Payment) -> list[tuple[str, ChangeCause]]:
    return [(change.status, change.cause) for change in payment.history]


def test_a_started_payment_has_one_history_entry_for_the_request() -> None:
    payment = started_payment()

    assert payment.history == [StatusChange(CREATED_AT, "pending", ChangeCause.REQUEST)]


def test_push_accept_and_callback_are_each_in_the_history_with_their_cause() -> None:
    payment = accepted(started_payment())

    payment.settle(success_for(payment), LATER)

    assert causes(payment) == [
        ("pending", ChangeCause.REQUEST),
        ("pending", ChangeCause.DARAJA_ANSWER),
        ("success", ChangeCause.CALLBACK),
    ]
    assert [change.at for change in payment.history] == [CREATED_AT, ACCEPTED_AT, LATER]
    assert payment.history[1].detail == "accepted: CheckoutRequestID ws_CO_191220191020363925"


def test_push_accept_and_query_are_each_in_the_history_with_their_cause() -> None:
    payment = accepted(started_payment())

    payment.settle_from_query(final_answer(payment, "1032", "Request cancelled by user"), LATER)

    assert causes(payment) == [
        ("pending", ChangeCause.REQUEST),
        ("pending", ChangeCause.DARAJA_ANSWER),
        ("cancelled", ChangeCause.QUERY),
    ]
    assert payment.history[-1].detail == "1032: Request cancelled by user"


def test_a_lost_answer_and_the_later_callback_are_in_the_history() -> None:
    payment = started_payment()
    payment.mark_outcome_unknown(ACCEPTED_AT)

    payment.settle(success_for(payment, checkout="ws_CO_1", merchant_request="1-2-3"), LATER)

    assert causes(payment) == [
        ("pending", ChangeCause.REQUEST),
        ("pending", ChangeCause.DARAJA_ANSWER),
        ("success", ChangeCause.CALLBACK),
    ]
    assert payment.history[1].detail == "Daraja's answer to the push was lost; outcome unknown"


def test_a_refused_push_is_in_the_history_as_daraja_s_answer() -> None:
    payment = started_payment()

    payment.reject("400.002.02", "Bad Request - Invalid PhoneNumber", ACCEPTED_AT)

    assert causes(payment)[-1] == ("failed", ChangeCause.DARAJA_ANSWER)
    assert payment.history[-1].detail == "400.002.02: Bad Request - Invalid PhoneNumber"


def test_a_cause_given_by_the_caller_is_recorded() -> None:
    payment = PaymentFactory.build()

    payment.settle(success_for(payment), LATER, cause=ChangeCause.OPERATOR)

    assert payment.history[-1].cause is ChangeCause.OPERATOR


def test_the_client_view_has_no_history_but_the_operator_view_does() -> None:
    payment = accepted(started_payment())

    assert "history" not in payment.view()
    assert payment.history_view() == [
        {"at": CREATED_AT.isoformat(), "status": "pending", "cause": "request", "detail": None},
        {
            "at": ACCEPTED_AT.isoformat(),
            "status": "pending",
            "cause": "daraja_answer",
            "detail": "accepted: CheckoutRequestID ws_CO_191220191020363925",
        },
    ]


def test_an_accepted_push_is_first_checked_thirty_seconds_after_it_was_made() -> None:
    payment = accepted(started_payment())

    assert payment.next_check_at == CREATED_AT + timedelta(seconds=30)
    assert payment.check_attempts == 0
    assert payment.queryable


def test_a_push_whose_answer_was_lost_is_never_scheduled_for_a_query() -> None:
    payment = started_payment()

    payment.mark_outcome_unknown(ACCEPTED_AT)

    assert (payment.next_check_at, payment.queryable) == (None, False)


def test_a_final_payment_is_no_longer_scheduled() -> None:
    payment = PaymentFactory.build()

    payment.settle(success_for(payment), LATER)

    assert payment.next_check_at is None


def test_scheduling_a_check_counts_it_and_records_no_history() -> None:
    payment = PaymentFactory.build()

    payment.schedule_check(LATER)

    assert (payment.next_check_at, payment.check_attempts, payment.history) == (LATER, 1, [])


@pytest.mark.parametrize(
    "payment",
    [
        pytest.param(unknown_outcome_payment(), id="no CheckoutRequestID"),
        pytest.param(PaymentFactory.build(status=PaymentStatus.SUCCESS, result_code="0"), id="final"),
    ],
)
def test_a_payment_no_query_can_settle_cannot_be_scheduled(payment: Payment) -> None:
    with pytest.raises(PaymentFinalError):
        payment.schedule_check(LATER)


def test_a_pending_answer_changes_nothing() -> None:
    payment = PaymentFactory.build()
    before = copy.deepcopy(payment)
    assert payment.checkout is not None

    payment.settle_from_query(StkQueryAnswer.pending_for(payment.checkout), LATER)

    assert payment == before


def test_code_zero_settles_as_success_without_a_receipt() -> None:
    payment = PaymentFactory.build(outcome_unknown=True)

    payment.settle_from_query(final_answer(payment, "0", "The service request is processed successfully."), LATER)

    assert payment.status is PaymentStatus.SUCCESS
    assert (payment.receipt, payment.transaction_date, payment.result_code) == (None, None, "0")
    assert (payment.updated_at, payment.outcome_unknown, payment.next_check_at) == (LATER, False, None)
    assert payment.history[-1] == StatusChange(
        LATER,
        "success",
        ChangeCause.QUERY,
        f"0: The service request is processed successfully. ({RECEIPT_NOT_QUERIED})",
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("1032", PaymentStatus.CANCELLED),
        ("1037", PaymentStatus.TIMEOUT),
        ("1019", PaymentStatus.TIMEOUT),
        ("2001", PaymentStatus.FAILED),
        ("777777", PaymentStatus.FAILED),
    ],
)
def test_an_unpaid_answer_settles_to_the_status_of_its_code(code: str, status: PaymentStatus) -> None:
    payment = PaymentFactory.build()

    payment.settle_from_query(final_answer(payment, code), LATER)

    assert (payment.status, payment.result_code, payment.result_desc) == (status, code, "described by Daraja")


def test_a_query_never_overwrites_a_recorded_success() -> None:
    payment = PaymentFactory.build()
    payment.settle(success_for(payment), LATER)
    before = copy.deepcopy(payment)

    with pytest.raises(PaymentFinalError):
        payment.settle_from_query(final_answer(payment, "1032"), MUCH_LATER)

    assert payment == before


def test_an_answer_about_another_push_is_refused() -> None:
    payment = PaymentFactory.build()

    with pytest.raises(CallbackRejectedError):
        payment.settle_from_query(StkQueryAnswer("ws_CO_another", None, "1032", "cancelled"), LATER)

    assert payment.status is PaymentStatus.PENDING


def test_an_answer_naming_another_merchant_request_is_refused() -> None:
    payment = PaymentFactory.build()
    assert payment.checkout is not None

    with pytest.raises(CallbackRejectedError):
        payment.settle_from_query(StkQueryAnswer(payment.checkout, "99999-1-1", "0", "paid"), LATER)


def test_a_payment_without_a_checkout_refuses_any_answer() -> None:
    payment = unknown_outcome_payment()

    with pytest.raises(CallbackRejectedError):
        payment.settle_from_query(StkQueryAnswer("ws_CO_guess", None, "0", "paid"), LATER)
