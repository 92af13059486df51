"""The shared factories build records the domain itself could have produced, in every state it allows."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.b2c.result_codes import WithdrawalStatus
from domain.b2c.withdrawal import Withdrawal
from domain.c2b.payment_request import RequestStatus
from domain.stk.payment import Payment
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import (
    API_KEY_SECRET,
    B2C_RECEIPT,
    CREATED_AT,
    SETTLED_AT,
    STK_RECEIPT,
    PaymentFactory,
    WithdrawalFactory,
    api_key,
    b2c_success_for,
    c2b_transaction,
    failed_withdrawal,
    in_flight_withdrawal,
    paid_payment,
    paid_withdrawal,
    payment_request,
    rejected_withdrawal,
    requested_reversal,
    started_payment,
    started_withdrawal,
    submitted_withdrawal,
    success_for,
    timed_out_withdrawal,
    unknown_outcome_payment,
    unpaid_payment,
    webhook_endpoint,
)


def test_created_at_survives_the_store_exactly() -> None:
    # BSON dates keep milliseconds: a finer default would come back changed from the integration store.
    assert CREATED_AT.microsecond % 1000 == 0


def test_a_default_payment_is_pending_accepted_and_scheduled_for_its_first_check() -> None:
    payment = PaymentFactory.build()

    assert payment.status is PaymentStatus.PENDING and not payment.outcome_unknown
    assert payment.checkout and payment.merchant_request
    assert payment.queryable and payment.next_check_at is not None and payment.next_check_at > payment.created_at
    payment.check_result(success_for(payment))  # Daraja's success for it is accepted as describing it


def test_an_unknown_outcome_payment_has_no_daraja_ids_yet() -> None:
    payment = unknown_outcome_payment()

    assert payment.status is PaymentStatus.PENDING and payment.outcome_unknown
    assert (payment.checkout, payment.merchant_request) == (None, None)


def test_a_paid_payment_is_settled_through_the_domain() -> None:
    payment = paid_payment()

    assert (payment.status, payment.receipt, payment.updated_at) == (PaymentStatus.SUCCESS, STK_RECEIPT, SETTLED_AT)
    assert [change.status for change in payment.history] == [PaymentStatus.SUCCESS]


@pytest.mark.parametrize("status", [PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.TIMEOUT])
def test_an_unpaid_payment_ends_in_the_status_asked_for(status: PaymentStatus) -> None:
    payment = unpaid_payment(status)

    assert (payment.status, payment.receipt, payment.updated_at) == (status, None, SETTLED_AT)


def test_a_default_withdrawal_is_queued_and_unclaimed() -> None:
    withdrawal = WithdrawalFactory.build()

    assert (withdrawal.status, withdrawal.lease_owner, withdrawal.conversation_id) == (
        WithdrawalStatus.QUEUED,
        None,
        None,
    )


def test_an_in_flight_withdrawal_is_leased_and_its_outcome_unknown() -> None:
    withdrawal = in_flight_withdrawal()

    assert withdrawal.status is WithdrawalStatus.SUBMITTED and withdrawal.outcome_unknown
    assert withdrawal.lease_owner is not None and withdrawal.lease_expires_at is not None


def test_a_submitted_withdrawal_has_a_conversation_id_and_waits_for_its_result() -> None:
    withdrawal = submitted_withdrawal()

    assert withdrawal.status is WithdrawalStatus.SUBMITTED and not withdrawal.outcome_unknown
    assert withdrawal.conversation_id is not None and withdrawal.awaiting_reconciliation


@pytest.mark.parametrize(
    ("build", "status", "final"),
    [
        (paid_withdrawal, WithdrawalStatus.SUCCESS, True),
        (failed_withdrawal, WithdrawalStatus.FAILED, True),
        (rejected_withdrawal, WithdrawalStatus.REJECTED, True),
        (timed_out_withdrawal, WithdrawalStatus.TIMEOUT, False),
    ],
)
def test_each_later_withdrawal_state_is_reached_through_the_domain(
    build: Callable[[], Withdrawal], status: WithdrawalStatus, final: bool
) -> None:
    withdrawal = build()

    assert (withdrawal.status, withdrawal.status.is_final, withdrawal.updated_at) == (status, final, SETTLED_AT)
    assert withdrawal.history[-1].status == status


def test_a_paid_withdrawal_carries_daraja_s_receipt() -> None:
    withdrawal = paid_withdrawal()

    assert withdrawal.receipt == B2C_RECEIPT == b2c_success_for(withdrawal).receipt


@pytest.mark.parametrize("build", [PaymentFactory.build, WithdrawalFactory.build])
def test_records_built_one_after_another_never_share_what_the_store_keeps_unique(
    build: Callable[[], Payment | Withdrawal],
) -> None:
    records = [build() for _ in range(200)]

    assert len({r.id for r in records}) == len({r.callback_token for r in records}) == 200


def test_settling_at_another_moment_is_the_test_s_choice() -> None:
    later = CREATED_AT + timedelta(hours=1)

    assert paid_payment(at=later).updated_at == paid_withdrawal(at=later).updated_at == later


def test_a_payment_request_is_open_and_paid_by_a_confirmation_of_its_amount_and_reference() -> None:
    request = payment_request(amount=250)

    assert request.status is RequestStatus.OPEN
    assert request.apply(c2b_transaction(250), SETTLED_AT)
    assert (request.status, request.received) == (RequestStatus.PAID, 250)


def test_an_open_amount_request_takes_any_amount() -> None:
    request = payment_request(amount=None)

    assert request.apply(c2b_transaction(7), SETTLED_AT) and request.received == 7


def test_a_requested_reversal_holds_its_receipt_until_it_fails() -> None:
    reversal = requested_reversal(receipt="NLJ7RT61SV")

    assert reversal.holds_receipt and reversal.reversal_request().receipt == "NLJ7RT61SV"


def test_a_webhook_endpoint_is_enabled_and_wants_what_its_types_say() -> None:
    every, some = webhook_endpoint(), webhook_endpoint("we_2", ["b2c.*"])

    assert every.wants("stk.succeeded") and some.wants("b2c.failed") and not some.wants("stk.succeeded")


def test_an_api_key_opens_with_its_secret_only() -> None:
    key = api_key()

    assert key.active and key.opens_with(API_KEY_SECRET) and not key.opens_with("0" * 64)


def test_a_started_payment_and_withdrawal_hold_only_their_request_in_their_history() -> None:
    payment, withdrawal = started_payment(), started_withdrawal()

    assert (payment.status, payment.checkout, [c.status for c in payment.history]) == (
        PaymentStatus.PENDING,
        None,
        ["pending"],
    )
    assert (withdrawal.status, [c.status for c in withdrawal.history]) == (WithdrawalStatus.QUEUED, ["queued"])
