from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.stk_payment_document import PaymentDocument, from_stored
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from adapters.mongo.store_errors import translates_store_errors
from domain.reversals.ports import ReversiblePayments
from domain.stk.payment import Payment


class MongoReversiblePayments(ReversiblePayments):
    """STK payments found by their M-PESA receipt (indexed by migration m0022), saved as the payments' own adapter
    saves them."""

    def __init__(self, database: MongoDatabase) -> None:
        self._collection = database[PaymentDocument.__collection__]
        self._payments = MongoPaymentRepository(database)

    @translates_store_errors
    async def by_receipt(self, receipt: str) -> Payment | None:
        stored = await self._collection.find_one(equal_to({"receipt": receipt}))
        return None if stored is None else from_stored(stored)

    async def save(self, payment: Payment) -> None:
        await self._payments.save(payment)
