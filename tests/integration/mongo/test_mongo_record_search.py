"""The read API's searches against the embedded store, which compares dates only to the whole second: paging by
(created_at, id) must still be exact for records created within one second."""

from datetime import timedelta

import pytest

from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoDatabase
from adapters.mongo.record_search import MongoRecordSearch
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.b2c.withdrawal import Withdrawal
from domain.records.listing import PagePosition, RecordFilter, RecordKind, record_filter
from domain.records.use_cases.find_record import FindRecord
from domain.records.use_cases.list_records import ListRecords
from domain.stk.payment import Payment
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import CREATED_AT, PaymentFactory, WithdrawalFactory

BOTH = (RecordKind.STK, RecordKind.B2C)
SECOND = CREATED_AT.replace(microsecond=0) + timedelta(minutes=1)


def at(milliseconds: int) -> "timedelta":
    return timedelta(milliseconds=milliseconds)


@pytest.fixture
def searches(database: MongoDatabase) -> dict[RecordKind, MongoRecordSearch]:
    return {kind: MongoRecordSearch(database, kind) for kind in BOTH}


@pytest.fixture
async def stored(database: MongoDatabase) -> list[Payment | Withdrawal]:
    """18 payments and 12 withdrawals, all but two within one second, some at the very same millisecond."""
    payments, withdrawals = MongoPaymentRepository(database), MongoWithdrawalRepository(database)
    records: list[Payment | Withdrawal] = []
    for n in range(18):
        status = PaymentStatus.SUCCESS if n % 3 == 0 else PaymentStatus.PENDING
        payment = PaymentFactory.build(
            id=f"p{n:03d}", subject=f"h{n % 2}", created_at=SECOND + at(n * 40), status=status
        )
        await payments.add(payment)
        records.append(payment)
    for n in range(12):
        withdrawal = WithdrawalFactory.build(id=f"w{n:03d}", subject=f"h{n % 2}", created_at=SECOND + at(n * 80))
        await withdrawals.add(withdrawal)
        records.append(withdrawal)
    for outside in (SECOND - at(1), SECOND + at(1000)):
        payment = PaymentFactory.build(id=f"p-{outside.microsecond}", subject="h0", created_at=outside)
        await payments.add(payment)
        records.append(payment)
    return records


def newest_first(records: list[Payment | Withdrawal]) -> list[str]:
    return [record.id for record in sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)]


async def every_id(
    searches: dict[RecordKind, MongoRecordSearch], kinds: tuple[RecordKind, ...], where: RecordFilter, limit: int
) -> list[str]:
    list_records, seen, after = ListRecords(dict(searches)), [], None
    for _ in range(100):
        page = await list_records(kinds, where, after, limit)
        assert len(page.records) <= limit
        seen += [record.record.id for record in page.records]
        if page.next_cursor is None:
            return seen
        after = PagePosition.from_cursor(page.next_cursor)
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("limit", [1, 7, 50])
async def test_paging_within_one_second_misses_and_repeats_nothing(
    searches: dict[RecordKind, MongoRecordSearch], stored: list[Payment | Withdrawal], limit: int
) -> None:
    seen = await every_id(searches, BOTH, RecordFilter(), limit)

    assert seen == newest_first(stored)


async def test_one_kind_pages_alone(
    searches: dict[RecordKind, MongoRecordSearch], stored: list[Payment | Withdrawal]
) -> None:
    seen = await every_id(searches, (RecordKind.B2C,), RecordFilter(), 5)

    assert seen == newest_first([record for record in stored if isinstance(record, Withdrawal)])


async def test_filters_are_exact_to_the_millisecond(
    searches: dict[RecordKind, MongoRecordSearch], stored: list[Payment | Withdrawal]
) -> None:
    where = record_filter(BOTH, "h0", "pending", SECOND + at(80), SECOND + at(600))

    seen = await every_id(searches, BOTH, where, 3)

    expected = [
        record
        for record in stored
        if record.subject == "h0"
        and record.status.value == "pending"
        and SECOND + at(80) < record.created_at < SECOND + at(600)
    ]
    assert seen == newest_first(expected) and len(seen) >= 3


async def test_a_record_is_found_by_its_id_whatever_its_kind(
    searches: dict[RecordKind, MongoRecordSearch], stored: list[Payment | Withdrawal]
) -> None:
    find = FindRecord(list(searches.values()))

    payment, withdrawal = await find("p007"), await find("w003")

    assert (payment.kind, payment.record.view()) == (RecordKind.STK, stored[7].view())
    assert (withdrawal.kind, withdrawal.view()["hash"]) == (RecordKind.B2C, "h1")
