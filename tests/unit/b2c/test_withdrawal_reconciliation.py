import copy
from datetime import timedelta
from typing import Any

import pytest

from domain.b2c.result_codes import NOT_COMPLETED_MESSAGE
from domain.b2c.withdrawal import B2cAccepted, Withdrawal, WithdrawalStatus, WithdrawalStepError
from domain.shared.errors import CallbackRejectedError, PaymentFinalError
from domain.shared.status_change import ChangeCause
from domain.shared.transaction_status import TransactionStatusResult
from tests.support.factories import (
    CREATED_AT,
    WithdrawalFactory,
    b2c_success_for,
    in_flight_withdrawal,
    queue_timeout_for,
    started_withdrawal,
    status_answer,
    submitted_withdrawal,
)

LATER = CREATED_AT + timedelta(minutes=1)
MUCH_LATER = CREATED_AT + timedelta(minutes=5)


def not_found() -> TransactionStatusResult:
    return TransactionStatusResult("404", "The transaction could not be found")


def causes(withdrawal: Withdrawal) -> list[tuple[str, ChangeCause]]:
    return [(change.status, change.cause) for change in withdrawal.history]


def test_every_step_of_a_withdrawal_is_in_its_history_with_its_cause() -> None:
    withdrawal = started_withdrawal()
    withdrawal.lease_owner = "worker-1"
    withdrawal.begin_submission(CREATED_AT + timedelta(seconds=1))
    withdrawal.mark_submitted(
        B2cAccepted("AG_1", withdrawal.originator_conversation_id), CREATED_AT + timedelta(seconds=2)
    )
    withdrawal.time_out(queue_timeout_for(withdrawal), LATER)

    withdrawal.settle_from_status(status_answer(withdrawal), MUCH_LATER)

    assert causes(withdrawal) == [
        ("queued", ChangeCause.REQUEST),
        ("submitted", ChangeCause.WORKER),
        ("submitted", ChangeCause.DARAJA_ANSWER),
        ("timeout", ChangeCause.CALLBACK),
        ("success", ChangeCause.RECONCILER),
    ]
    assert withdrawal.history[-1].detail == "Transaction Status Completed: receipt SG632NMUAB"
    assert "history" not in withdrawal.view()


def test_a_send_that_never_reached_daraja_is_in_the_history_as_queued_again() -> None:
    withdrawal = in_flight_withdrawal()

    withdrawal.return_to_queue(LATER)

    assert causes(withdrawal) == [("queued", ChangeCause.WORKER)]
    assert withdrawal.next_check_at is None


def test_a_submission_is_first_checked_a_minute_after_it_was_recorded() -> None:
    withdrawal = in_flight_withdrawal(check_attempts=3)

    withdrawal.mark_outcome_unknown(LATER)

    assert (withdrawal.next_check_at, withdrawal.check_attempts) == (LATER + timedelta(seconds=60), 0)


def test_a_claimed_send_is_checked_even_if_its_worker_dies() -> None:
    withdrawal = WithdrawalFactory.build(lease_owner="worker-1")

    withdrawal.begin_submission(LATER)

    assert withdrawal.next_check_at == LATER + timedelta(seconds=60)


def test_a_queue_time_out_is_checked_at_once() -> None:
    withdrawal = submitted_withdrawal(check_attempts=2)

    withdrawal.time_out(queue_timeout_for(withdrawal), LATER)

    assert (withdrawal.next_check_at, withdrawal.check_attempts) == (LATER, 0)


def test_a_settled_withdrawal_is_no_longer_scheduled() -> None:
    withdrawal = submitted_withdrawal()

    withdrawal.settle(b2c_success_for(withdrawal), LATER)

    assert withdrawal.next_check_at is None


def test_scheduling_a_check_counts_it_and_records_no_history() -> None:
    withdrawal = submitted_withdrawal()

    withdrawal.schedule_check(LATER)

    assert (withdrawal.next_check_at, withdrawal.check_attempts, withdrawal.history) == (LATER, 1, [])


@pytest.mark.parametrize(
    ("withdrawal", "error"),
    [
        pytest.param(WithdrawalFactory.build(), WithdrawalStepError, id="queued"),
        pytest.param(submitted_withdrawal(status=WithdrawalStatus.SUCCESS), PaymentFinalError, id="final"),
    ],
)
def test_only_a_withdrawal_at_daraja_can_be_scheduled(withdrawal: Withdrawal, error: type[Exception]) -> None:
    with pytest.raises(error):
        withdrawal.schedule_check(LATER)


@pytest.mark.parametrize("make", [submitted_withdrawal, in_flight_withdrawal])
def test_completed_settles_as_success_with_the_receipt(make: Any) -> None:
    withdrawal = make(outcome_unknown=True)

    withdrawal.settle_from_status(status_answer(withdrawal), LATER)

    assert withdrawal.status is WithdrawalStatus.SUCCESS
    assert (withdrawal.receipt, withdrawal.completed_at) == ("SG632NMUAB", "14.03.2025 12:48:52")
    assert (withdrawal.result_code, withdrawal.result_desc) == ("0", "Transaction Status: Completed")
    assert (withdrawal.outcome_unknown, withdrawal.lease_owner, withdrawal.updated_at) == (False, None, LATER)
    assert withdrawal.view()["message"] == "The money was sent to the customer."
    # FinalisedTime 20250314124852 is Kenyan time (UTC+3): clients see it in ISO 8601, in UTC.
    assert withdrawal.view()["completed_at"] == "2025-03-14T09:48:52+00:00"


def test_a_timed_out_withdrawal_is_settled_too() -> None:
    withdrawal = submitted_withdrawal()
    withdrawal.time_out(queue_timeout_for(withdrawal), LATER)

    withdrawal.settle_from_status(status_answer(withdrawal), MUCH_LATER)

    assert withdrawal.status is WithdrawalStatus.SUCCESS


def test_a_completed_answer_fills_in_the_conversation_id_a_lost_answer_never_gave() -> None:
    withdrawal = in_flight_withdrawal()

    withdrawal.settle_from_status(status_answer(withdrawal, conversation_id="AG_20250314_1"), LATER)

    assert withdrawal.conversation_id == "AG_20250314_1"


@pytest.mark.parametrize("status", ["Failed", "Expired", "failed"])
def test_a_payout_that_did_not_complete_settles_as_failed(status: str) -> None:
    withdrawal = submitted_withdrawal()

    withdrawal.settle_from_status(status_answer(withdrawal, status), LATER)

    assert withdrawal.status is WithdrawalStatus.FAILED
    assert (withdrawal.receipt, withdrawal.result_code) == (None, None)
    assert withdrawal.result_desc == f"Transaction Status: {status}"
    assert withdrawal.view()["message"] == NOT_COMPLETED_MESSAGE
    assert causes(withdrawal)[-1] == ("failed", ChangeCause.RECONCILER)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda w: status_answer(w, "Pending", receipt=None, finalised_time=None), id="pending"),
        pytest.param(lambda w: status_answer(w, "Reversed"), id="a word we do not know"),
        pytest.param(lambda w: not_found(), id="not found"),
        pytest.param(lambda w: TransactionStatusResult("2001", "The initiator information is invalid."), id="refused"),
    ],
)
def test_an_answer_that_settles_nothing_changes_nothing(answer: Any) -> None:
    withdrawal = submitted_withdrawal()
    before = copy.deepcopy(withdrawal)

    withdrawal.settle_from_status(answer(withdrawal), LATER)

    assert withdrawal == before


@pytest.mark.parametrize("status", [WithdrawalStatus.SUCCESS, WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED])
def test_a_final_withdrawal_never_changes(status: WithdrawalStatus) -> None:
    withdrawal = submitted_withdrawal(status=status, result_code="2001")
    before = copy.deepcopy(withdrawal)

    with pytest.raises(PaymentFinalError):
        withdrawal.settle_from_status(
            status_answer(withdrawal, "Failed" if status is WithdrawalStatus.SUCCESS else "Completed"), LATER
        )

    assert withdrawal == before


def test_a_queued_withdrawal_is_not_settled_by_a_status_answer() -> None:
    withdrawal = WithdrawalFactory.build()

    with pytest.raises(WithdrawalStepError):
        withdrawal.settle_from_status(status_answer(withdrawal), LATER)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"originator_conversation_id": "another-payout"}, id="another OriginatorConversationID"),
        pytest.param({"originator_conversation_id": None}, id="no OriginatorConversationID"),
        pytest.param({"conversation_id": "AG_another"}, id="another ConversationID"),
        pytest.param({"amount": 1}, id="another amount"),
        pytest.param({"receipt": None}, id="no receipt"),
    ],
)
def test_a_completed_answer_that_does_not_match_the_payout_is_refused(overrides: dict[str, Any]) -> None:
    withdrawal = submitted_withdrawal()

    with pytest.raises(CallbackRejectedError):
        withdrawal.settle_from_status(status_answer(withdrawal, **overrides), LATER)

    assert withdrawal.status is WithdrawalStatus.SUBMITTED
