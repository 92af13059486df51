"""Payments and withdrawals per state, for the /metrics gauges: one indexed count per state, read at scrape time."""

from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.b2c.result_codes import WithdrawalStatus
from domain.records.ports import RecordCounts
from domain.stk.result_codes import PaymentStatus

_PAYMENTS = "stk_payments"
_WITHDRAWALS = "b2c_withdrawals"


class MongoRecordCounts(RecordCounts):
    """Each count names its state (never a `None` filter, which nx-27017 mishandles) and uses the status index."""

    def __init__(self, database: MongoDatabase) -> None:
        self._payments, self._withdrawals = database[_PAYMENTS], database[_WITHDRAWALS]

    @translates_store_errors
    async def payments_by_status(self) -> dict[str, int]:
        return {
            status.value: await self._payments.count_documents(equal_to({"status": status.value}))
            for status in PaymentStatus
        }

    @translates_store_errors
    async def withdrawals_by_status(self) -> dict[str, int]:
        return {
            status.value: await self._withdrawals.count_documents(equal_to({"status": status.value}))
            for status in WithdrawalStatus
        }
