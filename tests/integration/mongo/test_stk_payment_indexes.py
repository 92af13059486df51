from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoDatabase
from adapters.mongo.stk_payment_document import PaymentDocument
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from tests.support.factories import PaymentFactory


async def test_the_payment_indexes_exist(database: MongoDatabase) -> None:
    collection = database[PaymentDocument.__collection__]

    indexes = await collection.index_information()

    # By key, never by name: the embedded store names indexes its own way.
    assert {_describe(index) for index in indexes.values()} >= {
        ((("payment_id", 1),), True),
        ((("callback_token", 1),), True),
        ((("checkout", 1),), True),
        ((("hash", 1), ("created_at", 1)), False),
        ((("status", 1), ("updated_at", 1)), False),
    }


async def test_a_duplicate_checkout_is_rejected(payments: MongoPaymentRepository) -> None:
    first = PaymentFactory.build()
    await payments.add(first)

    with pytest.raises(DuplicateKeyError):
        await payments.add(PaymentFactory.build(checkout=first.checkout))


async def test_payments_still_waiting_for_a_checkout_coexist(payments: MongoPaymentRepository) -> None:
    waiting = [PaymentFactory.build(checkout=None, merchant_request=None) for _ in range(3)]

    for payment in waiting:
        await payments.add(payment)

    found = [await payments.by_callback_token(payment.callback_token) for payment in waiting]
    assert [payment.id for payment in found if payment is not None] == [payment.id for payment in waiting]


async def test_a_duplicate_gateway_id_is_rejected(payments: MongoPaymentRepository) -> None:
    first = PaymentFactory.build()
    await payments.add(first)

    with pytest.raises(DuplicateKeyError):
        await payments.add(PaymentFactory.build(id=first.id))


async def test_a_duplicate_callback_token_is_rejected(payments: MongoPaymentRepository) -> None:
    first = PaymentFactory.build()
    await payments.add(first)

    with pytest.raises(DuplicateKeyError):
        await payments.add(PaymentFactory.build(callback_token=first.callback_token))


def _describe(index: dict[str, Any]) -> tuple[tuple[tuple[str, int], ...], bool]:
    return tuple((field, int(direction)) for field, direction in index["key"]), bool(index.get("unique"))
