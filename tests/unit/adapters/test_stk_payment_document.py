"""The STK payment document the repository writes is exactly the one `PaymentDocument`, the stored shape, would
make of it: built field by field for speed, it must not drift from the model the migrations and indexes follow."""

from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId

from adapters.mongo.stk_payment_document import PaymentDocument, from_stored, new_document, replacement_for
from domain.callbacks.received_callback import AppliedCallback
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.stk.payment import Payment
from tests.support.factories import (
    CREATED_AT,
    PaymentFactory,
    paid_payment,
    received_callback,
    started_payment,
    success_for,
    unknown_outcome_payment,
)
from tests.unit.adapters.model_shape import as_the_model_dumps, model_fields_of


def holding_its_phone() -> Payment:
    payment = started_payment()
    payment.phone_held_until = CREATED_AT + timedelta(minutes=2)
    return payment


def with_merchant_data_and_a_held_success() -> Payment:
    payment = PaymentFactory.build(
        reference=MerchantReference.parse("INV-2041", 20), metadata=Metadata.parse({"order": 7, "vip": True})
    )
    payment.hold_unconfirmed_success(success_for(payment), CREATED_AT, recheck_at=CREATED_AT + timedelta(seconds=30))
    return payment


def with_its_applied_callback() -> Payment:
    payment = paid_payment()
    payment.applied_callback = AppliedCallback(str(ObjectId()), received_callback(body=b'{"Body": {}}'))
    return payment


PAYMENTS = {
    "started, holding its phone": holding_its_phone,
    "accepted by Daraja": PaymentFactory.build,
    "with merchant data and a success awaiting confirmation": with_merchant_data_and_a_held_success,
    "paid, with the callback that settled it": with_its_applied_callback,
    "of unknown outcome": unknown_outcome_payment,
}


def started_between_milliseconds() -> Payment:
    """As the clock gives it: the store keeps whole milliseconds, and so does the document."""
    return started_payment(at=CREATED_AT + timedelta(microseconds=123_456))


WRITTEN = {**PAYMENTS, "started between two milliseconds": started_between_milliseconds}


@pytest.mark.parametrize("make", WRITTEN.values(), ids=WRITTEN.keys())
def test_the_document_written_is_the_models_own(make: Any) -> None:
    payment = make()
    written = new_document(payment)
    model_fields = model_fields_of(written, ["prompt_phone"])

    assert model_fields == as_the_model_dumps(PaymentDocument, model_fields)
    assert ("prompt_phone" in written) is payment.holds_phone()


@pytest.mark.parametrize("make", PAYMENTS.values(), ids=PAYMENTS.keys())
def test_a_written_payment_reads_back_as_it_was(make: Any) -> None:
    payment = make()
    replacement = replacement_for(payment, payment.version + 1)

    read = from_stored(replacement)

    assert "_id" not in replacement
    assert read.version == payment.version + 1
    read.version = payment.version
    assert read == payment
