import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.b2c.result_codes import QUEUE_TIMEOUT_MESSAGE, REJECTED_MESSAGE
from domain.b2c.withdrawal import B2cAccepted, Withdrawal, WithdrawalStatus, WithdrawalStepError, nairobi_day
from domain.shared.amount import Amount
from domain.shared.errors import CallbackRejectedError, PaymentFinalError
from tests.support.factories import (
    CREATED_AT,
    WithdrawalFactory,
    b2c_failure_for,
    b2c_success_for,
    in_flight_withdrawal,
    queue_timeout_for,
    submitted_withdrawal,
)

LATER = CREATED_AT + timedelta(minutes=1)
LEASE_END = CREATED_AT + timedelta(seconds=30)


def queued() -> Withdrawal:
    return WithdrawalFactory.build()


def claimed() -> Withdrawal:
    return WithdrawalFactory.build(lease_owner="worker-1", lease_expires_at=LEASE_END)


def answer_lost() -> Withdrawal:
    return WithdrawalFactory.build(status=WithdrawalStatus.SUBMITTED, outcome_unknown=True)


def timed_out() -> Withdrawal:
    return submitted_withdrawal(
        status=WithdrawalStatus.TIMEOUT, outcome_unknown=True, result_code="1", result_desc="timed out"
    )


def succeeded() -> Withdrawal:
    return submitted_withdrawal(status=WithdrawalStatus.SUCCESS, result_code="0", receipt="SG632NMUAB")


def failed() -> Withdrawal:
    return submitted_withdrawal(status=WithdrawalStatus.FAILED, result_code="2001")


def rejected() -> Withdrawal:
    return WithdrawalFactory.build(status=WithdrawalStatus.REJECTED, result_code="400.002.02")


STATES: dict[str, Callable[[], Withdrawal]] = {
    "queued": queued,
    "claimed": claimed,
    "in flight": in_flight_withdrawal,
    "submitted": submitted_withdrawal,
    "answer lost": answer_lost,
    "timeout": timed_out,
    "success": succeeded,
    "failed": failed,
    "rejected": rejected,
}
FINAL = ["success", "failed", "rejected"]

ANSWERS: dict[str, Callable[[Withdrawal], None]] = {
    "mark_submitted": lambda w: w.mark_submitted(B2cAccepted("AG_20250314_1", w.originator_conversation_id), LATER),
    "mark_already_sent": lambda w: w.mark_already_sent(LATER),
    "mark_outcome_unknown": lambda w: w.mark_outcome_unknown(LATER),
    "reject": lambda w: w.reject("400.002.02", "Bad Request - Invalid PartyB", LATER),
    "return_to_queue": lambda w: w.return_to_queue(LATER),
}
ANSWER_STATUS = {
    "mark_submitted": WithdrawalStatus.SUBMITTED,
    "mark_already_sent": WithdrawalStatus.SUBMITTED,
    "mark_outcome_unknown": WithdrawalStatus.SUBMITTED,
    "reject": WithdrawalStatus.REJECTED,
    "return_to_queue": WithdrawalStatus.QUEUED,
}


def _cases(allowed: list[str], answers: dict[str, Callable[[Withdrawal], None]]) -> list[object]:
    return [pytest.param(state, answer, id=f"{answer} from {state}") for state in allowed for answer in answers]


def test_a_started_withdrawal_is_queued_unclaimed_with_no_daraja_ids() -> None:
    template = WithdrawalFactory.build()

    started = Withdrawal.start(
        withdrawal_id=template.id,
        subject=template.subject,
        phone=template.phone,
        amount=template.amount,
        description=template.description,
        originator_conversation_id="5f0c2a0e-9a7b-4a4e-9a7e-2d4f6b1c9e01",
        callback_token=template.callback_token,
        now=CREATED_AT,
    )

    assert started.status is WithdrawalStatus.QUEUED
    assert started.originator_conversation_id == "5f0c2a0e-9a7b-4a4e-9a7e-2d4f6b1c9e01"
    assert (started.conversation_id, started.result_code, started.lease_owner, started.outcome_unknown) == (
        None,
        None,
        None,
        False,
    )
    assert started.created_at == started.updated_at == CREATED_AT


def test_the_b2c_request_carries_the_originator_conversation_id_and_the_secret_token() -> None:
    withdrawal = WithdrawalFactory.build()

    request = withdrawal.b2c_request()

    assert request.originator_conversation_id == withdrawal.originator_conversation_id
    assert (request.phone, request.amount, request.remarks) == (
        withdrawal.phone,
        withdrawal.amount,
        withdrawal.description,
    )
    assert request.callback_token == withdrawal.callback_token


def test_beginning_the_submission_marks_it_submitted_with_an_unknown_outcome_still_leased() -> None:
    withdrawal = claimed()

    withdrawal.begin_submission(LATER)

    assert withdrawal.status is WithdrawalStatus.SUBMITTED
    assert withdrawal.outcome_unknown is True
    assert (withdrawal.lease_owner, withdrawal.updated_at) == ("worker-1", LATER)


@pytest.mark.parametrize("state", ["queued", "in flight", "submitted", "answer lost", "timeout"])
def test_only_a_claimed_queued_withdrawal_may_begin_a_submission(state: str) -> None:
    withdrawal = STATES[state]()
    before = copy.deepcopy(withdrawal)

    with pytest.raises(WithdrawalStepError):
        withdrawal.begin_submission(LATER)

    assert withdrawal == before


@pytest.mark.parametrize("state", FINAL)
def test_a_final_withdrawal_never_begins_a_submission(state: str) -> None:
    withdrawal = STATES[state]()

    with pytest.raises(PaymentFinalError):
        withdrawal.begin_submission(LATER)

    assert withdrawal.status.value == state


@pytest.mark.parametrize(("state", "answer"), _cases(["queued", "claimed", "in flight"], ANSWERS))
def test_darajas_answer_is_recorded_on_a_queued_or_in_flight_withdrawal_and_frees_the_lease(
    state: str, answer: str
) -> None:
    withdrawal = STATES[state]()

    ANSWERS[answer](withdrawal)

    assert withdrawal.status is ANSWER_STATUS[answer]
    assert (withdrawal.lease_owner, withdrawal.lease_expires_at, withdrawal.updated_at) == (None, None, LATER)


@pytest.mark.parametrize(("state", "answer"), _cases(["submitted", "answer lost", "timeout"], ANSWERS))
def test_once_darajas_answer_is_recorded_the_withdrawal_never_goes_back(state: str, answer: str) -> None:
    withdrawal = STATES[state]()
    before = copy.deepcopy(withdrawal)

    with pytest.raises(WithdrawalStepError):
        ANSWERS[answer](withdrawal)

    assert withdrawal == before


@pytest.mark.parametrize(("state", "answer"), _cases(FINAL, ANSWERS))
def test_a_final_withdrawal_ignores_a_late_answer(state: str, answer: str) -> None:
    withdrawal = STATES[state]()
    before = copy.deepcopy(withdrawal)

    with pytest.raises(PaymentFinalError):
        ANSWERS[answer](withdrawal)

    assert withdrawal == before


def test_an_accepted_request_stores_the_conversation_id_and_a_known_outcome() -> None:
    withdrawal = in_flight_withdrawal()

    withdrawal.mark_submitted(
        B2cAccepted("AG_20240706_20106e9209f64bebd05b", withdrawal.originator_conversation_id), LATER
    )

    assert withdrawal.conversation_id == "AG_20240706_20106e9209f64bebd05b"
    assert withdrawal.outcome_unknown is False


def test_a_lost_answer_keeps_the_outcome_unknown() -> None:
    withdrawal = in_flight_withdrawal()

    withdrawal.mark_outcome_unknown(LATER)

    assert (withdrawal.status, withdrawal.outcome_unknown) == (WithdrawalStatus.SUBMITTED, True)


def test_a_duplicate_send_is_known_to_be_at_daraja() -> None:
    withdrawal = in_flight_withdrawal()

    withdrawal.mark_already_sent(LATER)

    assert (withdrawal.status, withdrawal.outcome_unknown, withdrawal.conversation_id) == (
        WithdrawalStatus.SUBMITTED,
        False,
        None,
    )


def test_a_refused_request_is_final_with_darajas_code_and_message() -> None:
    withdrawal = in_flight_withdrawal()

    withdrawal.reject("400.002.02", "Bad Request - Invalid PartyB", LATER)

    assert withdrawal.status is WithdrawalStatus.REJECTED
    assert withdrawal.status.is_final
    assert (withdrawal.result_code, withdrawal.result_desc) == ("400.002.02", "Bad Request - Invalid PartyB")
    assert withdrawal.outcome_unknown is False
    assert withdrawal.view()["message"] == REJECTED_MESSAGE


def test_a_request_that_never_reached_daraja_goes_back_to_the_queue_unclaimed() -> None:
    withdrawal = in_flight_withdrawal()

    withdrawal.return_to_queue(LATER)

    assert withdrawal.status is WithdrawalStatus.QUEUED
    assert withdrawal.outcome_unknown is False
    assert withdrawal.lease_owner is None


SETTLEABLE = ["queued", "claimed", "in flight", "submitted", "answer lost", "timeout"]


@pytest.mark.parametrize(
    ("daraja_time", "shown"),
    [
        ("14.03.2025 12:48:52", "2025-03-14T09:48:52+00:00"),  # Kenyan time, UTC+3
        ("01.01.2025 01:00:00", "2024-12-31T22:00:00+00:00"),  # the day and the year roll back too
        ("2025-03-14 12:48", None),  # no form Daraja is known to use: null, not a guess
    ],
)
def test_clients_see_the_completion_time_in_iso_8601_utc(daraja_time: str, shown: str | None) -> None:
    withdrawal = STATES["submitted"]()

    withdrawal.settle(b2c_success_for(withdrawal, receipt="SG632NMUAB", completed_at=daraja_time), LATER)

    assert withdrawal.view()["completed_at"] == shown
    assert withdrawal.completed_at == daraja_time  # the record keeps what Daraja said


@pytest.mark.parametrize("state", SETTLEABLE)
def test_a_success_result_settles_with_receipt_amount_recipient_and_time(state: str) -> None:
    withdrawal = STATES[state]()
    result = b2c_success_for(withdrawal, receipt="SG632NMUAB", completed_at="14.03.2025 12:48:52")

    withdrawal.settle(result, LATER)

    assert withdrawal.status is WithdrawalStatus.SUCCESS
    assert (withdrawal.receipt, withdrawal.completed_at) == ("SG632NMUAB", "14.03.2025 12:48:52")
    assert withdrawal.recipient_name == f"{withdrawal.phone.msisdn} - NICHOLAS JOHN SONGOK"
    assert (withdrawal.result_code, withdrawal.conversation_id) == ("0", result.conversation_id)
    assert (withdrawal.outcome_unknown, withdrawal.lease_owner, withdrawal.updated_at) == (False, None, LATER)


@pytest.mark.parametrize("state", SETTLEABLE)
def test_a_failure_result_fails_with_darajas_code_and_no_receipt(state: str) -> None:
    withdrawal = STATES[state]()

    withdrawal.settle(b2c_failure_for(withdrawal, "2001", "The initiator information is invalid."), LATER)

    assert withdrawal.status is WithdrawalStatus.FAILED
    assert (withdrawal.result_code, withdrawal.result_desc) == ("2001", "The initiator information is invalid.")
    assert (withdrawal.receipt, withdrawal.outcome_unknown) == (None, False)


@pytest.mark.parametrize("state", FINAL)
@pytest.mark.parametrize("outcome", ["success", "failure", "queue timeout"])
def test_a_final_withdrawal_never_changes_again(state: str, outcome: str) -> None:
    withdrawal = STATES[state]()
    before = copy.deepcopy(withdrawal)

    with pytest.raises(PaymentFinalError):
        if outcome == "success":
            withdrawal.settle(b2c_success_for(withdrawal), LATER)
        elif outcome == "failure":
            withdrawal.settle(b2c_failure_for(withdrawal), LATER)
        else:
            withdrawal.time_out(queue_timeout_for(withdrawal), LATER)

    assert withdrawal == before


@pytest.mark.parametrize("state", ["queued", "claimed", "in flight", "submitted", "answer lost"])
def test_a_queue_timeout_makes_the_outcome_unknown_and_is_not_final(state: str) -> None:
    withdrawal = STATES[state]()

    withdrawal.time_out(queue_timeout_for(withdrawal), LATER)

    assert withdrawal.status is WithdrawalStatus.TIMEOUT
    assert not withdrawal.status.is_final
    assert (withdrawal.outcome_unknown, withdrawal.lease_owner, withdrawal.result_code) == (True, None, "1")
    assert withdrawal.view()["message"] == QUEUE_TIMEOUT_MESSAGE


def test_a_second_queue_timeout_is_a_duplicate() -> None:
    withdrawal = timed_out()
    before = copy.deepcopy(withdrawal)

    with pytest.raises(WithdrawalStepError):
        withdrawal.time_out(queue_timeout_for(withdrawal), LATER)

    assert withdrawal == before


def test_a_duplicate_detected_result_keeps_the_outcome_unknown_instead_of_failing() -> None:
    withdrawal = submitted_withdrawal()

    withdrawal.settle(b2c_failure_for(withdrawal, "15", "Duplicate detected"), LATER)

    assert (withdrawal.status, withdrawal.outcome_unknown) == (WithdrawalStatus.TIMEOUT, True)


def test_a_timed_out_withdrawal_learns_the_conversation_id_from_the_notice() -> None:
    withdrawal = answer_lost()

    withdrawal.time_out(queue_timeout_for(withdrawal), LATER)

    assert withdrawal.conversation_id == "AG_20250314_201062f6f6f5804f7a33"


MISMATCHES = {
    "another originator id": {"originator_conversation_id": "another-originator"},
    "another conversation id": {"conversation_id": "AG_20250314_another"},
    "another amount": {"amount": 11},
    "no amount": {"amount": None},
    "no receipt": {"receipt": None},
}


@pytest.mark.parametrize("mismatch", MISMATCHES.values(), ids=MISMATCHES.keys())
def test_a_success_that_contradicts_the_withdrawal_is_refused_and_changes_nothing(mismatch: dict[str, object]) -> None:
    withdrawal = submitted_withdrawal(amount=Amount(10))
    before = copy.deepcopy(withdrawal)

    with pytest.raises(CallbackRejectedError):
        withdrawal.settle(b2c_success_for(withdrawal, **mismatch), LATER)

    assert withdrawal == before


@pytest.mark.parametrize("queue_timeout", [False, True], ids=["result", "queue timeout"])
def test_a_result_naming_another_withdrawal_is_refused(queue_timeout: bool) -> None:
    withdrawal = submitted_withdrawal()
    result = b2c_failure_for(WithdrawalFactory.build(conversation_id=withdrawal.conversation_id))

    with pytest.raises(CallbackRejectedError):
        if queue_timeout:
            withdrawal.time_out(result, LATER)
        else:
            withdrawal.settle(result, LATER)

    assert withdrawal.status is WithdrawalStatus.SUBMITTED


def test_a_failure_needs_no_amount_or_receipt() -> None:
    withdrawal = submitted_withdrawal()

    withdrawal.settle(b2c_failure_for(withdrawal, "1", "Insufficient funds"), LATER)

    assert withdrawal.status is WithdrawalStatus.FAILED


def test_the_view_has_no_message_before_a_result_and_darajas_meaning_after() -> None:
    withdrawal = submitted_withdrawal()
    without_result = withdrawal.view()["message"]

    withdrawal.settle(b2c_failure_for(withdrawal, "2040", "Unregistered"), LATER)

    assert without_result is None
    assert withdrawal.view()["message"] == "The recipient is not a registered M-PESA customer."
    assert withdrawal.view()["status"] == "failed"


def test_the_daily_total_counts_in_the_nairobi_day_it_was_requested() -> None:
    withdrawal = WithdrawalFactory.build(created_at=datetime(2025, 3, 14, 21, 30, tzinfo=UTC))

    assert withdrawal.allowance_day == "2025-03-15"
    assert nairobi_day(datetime(2025, 3, 14, 20, 59, 59, tzinfo=UTC)) == "2025-03-14"
