"""The B2C withdrawal document the repository writes is exactly the one `WithdrawalDocument`, the stored shape,
would make of it, and reads back as the withdrawal it was: both are built field by field for speed, so neither may
drift from the model the migrations and indexes follow."""

from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId

from adapters.mongo.b2c_withdrawal_document import (
    WithdrawalDocument,
    as_stored,
    from_stored,
    new_document,
    replacement_for,
)
from domain.b2c.withdrawal import Withdrawal
from domain.callbacks.received_callback import AppliedCallback, CallbackKind
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.shared.status_query import OpenStatusQuery
from tests.support.factories import (
    CREATED_AT,
    b2c_success_for,
    in_flight_withdrawal,
    paid_withdrawal,
    received_callback,
    started_withdrawal,
    submitted_withdrawal,
    timed_out_withdrawal,
)
from tests.unit.adapters.model_shape import as_the_model_dumps, model_fields_of


def asking_transaction_status() -> Withdrawal:
    withdrawal = submitted_withdrawal()
    withdrawal.status_query = OpenStatusQuery("d" * 64, CREATED_AT + timedelta(minutes=3))
    withdrawal.next_check_at = CREATED_AT + timedelta(minutes=5)
    withdrawal.check_attempts = 2
    return withdrawal


def with_merchant_data_and_a_held_success() -> Withdrawal:
    withdrawal = submitted_withdrawal(
        reference=MerchantReference.parse("PAYOUT-77", 20), metadata=Metadata.parse({"driver": "k-42"})
    )
    withdrawal.hold_unconfirmed_success(
        b2c_success_for(withdrawal), CREATED_AT + timedelta(minutes=1), recheck_at=CREATED_AT + timedelta(minutes=2)
    )
    return withdrawal


def paid_with_its_applied_result() -> Withdrawal:
    withdrawal = paid_withdrawal()
    withdrawal.applied_callback = AppliedCallback(
        str(ObjectId()), received_callback(CallbackKind.B2C_RESULT, b'{"Result": {}}')
    )
    return withdrawal


WITHDRAWALS = {
    "queued": started_withdrawal,
    "leased and being sent": in_flight_withdrawal,
    "accepted by Daraja": submitted_withdrawal,
    "asking Transaction Status": asking_transaction_status,
    "with merchant data and a success awaiting confirmation": with_merchant_data_and_a_held_success,
    "paid, with the Result that settled it": paid_with_its_applied_result,
    "timed out in Daraja's queue": timed_out_withdrawal,
}


def queued_between_milliseconds() -> Withdrawal:
    """As the clock gives it: the store keeps whole milliseconds, and so does the document."""
    return started_withdrawal(at=CREATED_AT + timedelta(microseconds=123_456))


WRITTEN = {**WITHDRAWALS, "queued between two milliseconds": queued_between_milliseconds}


@pytest.mark.parametrize("make", WRITTEN.values(), ids=WRITTEN.keys())
def test_the_document_written_is_the_models_own(make: Any) -> None:
    withdrawal = make()
    written = new_document(withdrawal)
    open_query = ("status_query_digest", "status_query_asked_at")
    model_fields = model_fields_of(written, open_query)

    assert model_fields == as_the_model_dumps(WithdrawalDocument, model_fields)
    assert all((name in written) is (withdrawal.status_query is not None) for name in open_query)


@pytest.mark.parametrize("make", WITHDRAWALS.values(), ids=WITHDRAWALS.keys())
def test_a_written_withdrawal_reads_back_as_it_was(make: Any) -> None:
    withdrawal = make()
    replacement = replacement_for(withdrawal, withdrawal.version + 1)

    read = from_stored(replacement)

    assert "_id" not in replacement
    assert read.version == withdrawal.version + 1
    assert read == withdrawal
    assert read.applied_callback == withdrawal.applied_callback


def test_as_stored_gives_the_times_the_store_keeps() -> None:
    withdrawal = queued_between_milliseconds()

    kept = as_stored(withdrawal)

    in_whole_milliseconds = withdrawal.created_at.replace(microsecond=withdrawal.created_at.microsecond // 1000 * 1000)
    assert withdrawal.created_at != in_whole_milliseconds
    assert kept.created_at == in_whole_milliseconds
    assert [change.at for change in kept.history] == [in_whole_milliseconds]
