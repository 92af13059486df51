from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.mongo.client import MongoDatabase
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.shared.errors import ConcurrentUpdateError
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import CREATED_AT, SUBJECT, PaymentFactory, failure_for, success_for

LATER = CREATED_AT + timedelta(seconds=42)


async def test_a_payment_round_trips_with_every_field(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build(
        status=PaymentStatus.SUCCESS,
        updated_at=LATER,
        result_code="0",
        result_desc="The service request is processed successfully.",
        receipt="NLJ7RT61SV",
        transaction_date="20250314120215",
        outcome_unknown=True,
        version=7,
    )
    await payments.add(payment)

    found = await payments.by_callback_token(payment.callback_token)

    assert found is not None
    assert asdict(found) == asdict(payment)
    assert found.version == 7


async def test_times_come_back_in_utc_to_the_millisecond(payments: MongoPaymentRepository) -> None:
    nairobi = timezone(timedelta(hours=3))
    written = datetime(2025, 3, 14, 12, 0, 0, 123_456, tzinfo=nairobi)
    payment = PaymentFactory.build(created_at=written, updated_at=written)
    await payments.add(payment)

    found = await payments.by_callback_token(payment.callback_token)

    assert found is not None
    assert found.created_at == datetime(2025, 3, 14, 9, 0, 0, 123_000, tzinfo=UTC)
    assert found.created_at.tzinfo is UTC


async def test_save_stores_the_changes_and_bumps_the_version(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    payment.settle(failure_for(payment, "1032"), LATER)

    await payments.save(payment)

    found = await payments.by_callback_token(payment.callback_token)
    assert payment.version == 1
    assert found is not None
    assert (found.status, found.result_code, found.updated_at, found.version) == (
        PaymentStatus.CANCELLED,
        "1032",
        LATER,
        1,
    )


async def test_saved_times_are_stored_as_dates(payments: MongoPaymentRepository, database: MongoDatabase) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    payment.settle(failure_for(payment, "1032"), LATER)

    await payments.save(payment)

    # Read raw: a time stored as a string would still map back to a datetime, yet escape date range queries.
    stored = await database["stk_payments"].find_one({"payment_id": payment.id})
    assert stored is not None
    assert (stored["created_at"], stored["updated_at"]) == (CREATED_AT, LATER)
    assert await database["stk_payments"].count_documents({"updated_at": {"$gt": CREATED_AT}}) == 1


async def test_a_stale_save_raises_so_two_writers_cannot_both_decide(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    first = await payments.by_callback_token(payment.callback_token)
    second = await payments.by_callback_token(payment.callback_token)
    assert first is not None and second is not None
    first.settle(failure_for(payment, "1032"), LATER)
    second.reject("1", "Insufficient balance", LATER)
    await payments.save(first)

    with pytest.raises(ConcurrentUpdateError):
        await payments.save(second)

    stored = await payments.by_callback_token(payment.callback_token)
    assert stored is not None
    assert (stored.status, stored.version) == (PaymentStatus.CANCELLED, 1)
    assert second.version == 0


async def test_saving_a_payment_never_added_raises(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build()

    with pytest.raises(ConcurrentUpdateError):
        await payments.save(payment)

    assert await payments.by_callback_token(payment.callback_token) is None


async def test_by_checkout_finds_a_payment_by_checkout_or_gateway_id(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    await payments.add(PaymentFactory.build())
    assert payment.checkout is not None

    by_checkout = await payments.by_checkout(SUBJECT, payment.checkout)
    by_id = await payments.by_checkout(SUBJECT, payment.id)

    assert by_checkout is not None and by_checkout.id == payment.id
    assert by_id is not None and by_id.id == payment.id


async def test_by_checkout_finds_nothing_on_another_subject(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    assert payment.checkout is not None

    by_checkout = await payments.by_checkout("f" * 32, payment.checkout)
    by_id = await payments.by_checkout("f" * 32, payment.id)

    assert by_checkout is None
    assert by_id is None


async def test_by_checkout_finds_nothing_for_an_unknown_id(payments: MongoPaymentRepository) -> None:
    await payments.add(PaymentFactory.build())

    found = await payments.by_checkout(SUBJECT, "ws_CO_000000000000000000000000")

    assert found is None


async def test_by_callback_token_finds_only_its_payment(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    await payments.add(PaymentFactory.build())

    found = await payments.by_callback_token(payment.callback_token)
    unknown = await payments.by_callback_token("not-a-token")

    assert found is not None and found.id == payment.id
    assert unknown is None


async def test_a_success_held_unconfirmed_round_trips(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build()
    await payments.add(payment)
    held = success_for(payment)
    payment.hold_unconfirmed_success(held, LATER, recheck_at=LATER + timedelta(seconds=30))
    await payments.save(payment)

    found = await payments.by_callback_token(payment.callback_token)

    assert found is not None
    assert found.unconfirmed_success == held
    assert found.next_check_at == LATER + timedelta(seconds=30)
