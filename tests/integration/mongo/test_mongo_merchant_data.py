"""A merchant's reference and metadata are stored with the record; records stored before them still load."""

from datetime import timedelta

from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoDatabase
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.stk.payment import StkPushAccepted
from tests.support.factories import CREATED_AT, SUBJECT, PaymentFactory, WithdrawalFactory

METADATA = {"order_id": 1042, "customer": "c-77", "gift": False, "discount": 0.5, "note": None}


async def test_a_payments_reference_and_metadata_survive_every_save(payments: MongoPaymentRepository) -> None:
    payment = PaymentFactory.build(
        checkout=None, reference=MerchantReference("INV-1042"), metadata=Metadata.parse(METADATA)
    )
    await payments.add(payment)
    payment.accept(StkPushAccepted("29115-1", "ws_CO_1"), CREATED_AT + timedelta(seconds=1))
    await payments.save(payment)

    found = await payments.by_checkout(SUBJECT, "ws_CO_1")

    assert found is not None
    assert (found.view()["reference"], found.view()["metadata"]) == ("INV-1042", METADATA)


async def test_a_withdrawals_reference_and_metadata_are_stored(database: MongoDatabase) -> None:
    withdrawals = MongoWithdrawalRepository(database)
    withdrawal = WithdrawalFactory.build(reference=MerchantReference("RF 77"), metadata=Metadata.parse({"t": "77"}))
    await withdrawals.add(withdrawal)

    found = await withdrawals.by_id(SUBJECT, withdrawal.id)

    assert found is not None and found.view() == withdrawal.view()
    assert found.b2c_request().occasion == "RF 77"


async def test_records_stored_before_merchant_data_existed_load_without_it(
    database: MongoDatabase, payments: MongoPaymentRepository
) -> None:
    payment, withdrawal = PaymentFactory.build(), WithdrawalFactory.build()
    await payments.add(payment)
    withdrawals = MongoWithdrawalRepository(database)
    await withdrawals.add(withdrawal)
    for collection in ("stk_payments", "b2c_withdrawals"):
        await database[collection].update_many({}, {"$unset": {"reference": "", "metadata": ""}})
    assert await database["stk_payments"].count_documents({"reference": {"$exists": True}}) == 0

    old_payment = await payments.by_callback_token(payment.callback_token)
    old_withdrawal = await withdrawals.by_id(SUBJECT, withdrawal.id)

    assert old_payment is not None and (old_payment.reference, old_payment.metadata) == (None, None)
    assert old_withdrawal is not None and old_withdrawal.view()["metadata"] is None
