"""One open prompt per phone, held by the payment itself, against the embedded store over the wire."""

import asyncio
from datetime import timedelta

import pytest

from adapters.mongo.client import MongoDatabase
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.shared.errors import PhoneHeldError
from domain.shared.phone import Phone
from domain.stk.payment import Payment
from tests.support.factories import CREATED_AT, PaymentFactory, success_for

PHONE = Phone.parse("254712345678")
LIFETIME = timedelta(minutes=2)


def holding(payment_id: str, at: timedelta = timedelta(0), phone: Phone = PHONE) -> Payment:
    started = CREATED_AT + at
    return PaymentFactory.build(
        id=payment_id,
        phone=phone,
        created_at=started,
        updated_at=started,
        phone_held_until=started + LIFETIME,
    )


async def test_of_concurrent_payments_for_one_phone_exactly_one_is_stored(database: MongoDatabase) -> None:
    payments = MongoPaymentRepository(database)

    answers = await asyncio.gather(*(payments.add(holding(f"payment-{n}")) for n in range(12)), return_exceptions=True)

    refused = [answer for answer in answers if isinstance(answer, PhoneHeldError)]
    assert answers.count(None) == 1 and len(refused) == 11
    assert {error.until for error in refused} == {CREATED_AT + LIFETIME}
    assert await database["stk_payments"].count_documents({}) == 1


async def test_a_final_payment_frees_its_phone_in_the_same_write_and_phones_do_not_share(
    database: MongoDatabase,
) -> None:
    payments = MongoPaymentRepository(database)
    first = holding("first")
    await payments.add(first)
    await payments.add(holding("other-phone", phone=Phone.parse("254712000000")))
    with pytest.raises(PhoneHeldError):
        await payments.add(holding("too-soon", at=timedelta(seconds=5)))

    first.settle(success_for(first), CREATED_AT + timedelta(seconds=10))
    await payments.save(first)
    await payments.add(holding("second", at=timedelta(seconds=11)))

    stored = await database["stk_payments"].find_one({"payment_id": "first"})
    assert stored is not None and "prompt_phone" not in stored


async def test_a_hold_past_its_time_is_taken_over_by_one_of_many(database: MongoDatabase) -> None:
    payments = MongoPaymentRepository(database)
    stale = holding("stale")
    await payments.add(stale)
    later = LIFETIME + timedelta(seconds=1)

    answers = await asyncio.gather(
        *(payments.add(holding(f"p{n}", at=later)) for n in range(6)), return_exceptions=True
    )

    assert answers.count(None) == 1
    assert all(isinstance(answer, PhoneHeldError) for answer in answers if answer is not None)
    # The stale payment's own later writes (one written as if still holding, its callback) neither fail nor take
    # the phone back.
    await payments.save(stale)
    stale.settle(success_for(stale), CREATED_AT + later + timedelta(seconds=1))
    await payments.save(stale)
    assert await database["stk_payments"].count_documents({"prompt_phone": {"$exists": True}}) == 1


async def test_a_payment_that_holds_no_phone_never_meets_the_hold(database: MongoDatabase) -> None:
    payments = MongoPaymentRepository(database)
    await payments.add(holding("holder"))

    await payments.add(PaymentFactory.build(id="unheld", phone=PHONE))  # STK_ONE_PENDING_PER_PHONE off

    assert await database["stk_payments"].count_documents({}) == 2
