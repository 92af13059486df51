"""A socket's catch-up on the real store: one find, with or without a resume point, sending what the paged reads
send; and migration m0023 places the records stored before it."""

from datetime import timedelta
from typing import Any

import pytest

from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoDatabase
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.b2c.withdrawal import WithdrawalStatus
from domain.records.use_cases.catch_up import CatchUp
from domain.shared.resume_cursor import ResumeCursor
from domain.stk.payment import Payment
from migrations.steps import m0023_catch_up_order
from tests.support.factories import CREATED_AT, SUBJECT, PaymentFactory, WithdrawalFactory, paid_payment
from tests.unit.fakes import FixedClock

NOW = CREATED_AT + timedelta(hours=3)
WINDOW = timedelta(minutes=15)


def settled(ago: timedelta) -> Payment:
    """Paid `ago` before NOW."""
    return paid_payment(at=NOW - ago)


class Client:
    def __init__(self) -> None:
        self.ids: list[str] = []

    async def send(self, view: dict[str, Any]) -> None:
        self.ids.append(view["id"])


async def stored_payments(database: MongoDatabase) -> list[Payment]:
    payments = MongoPaymentRepository(database)
    records = [
        PaymentFactory.build(updated_at=NOW - timedelta(hours=2)),
        settled(timedelta(hours=2)),
        settled(timedelta(minutes=20)),
        *(settled(timedelta(minutes=5, milliseconds=-i)) for i in range(3)),
        PaymentFactory.build(updated_at=NOW - timedelta(minutes=1)),
    ]
    for payment in records:
        await payments.add(payment)
    return records


@pytest.mark.parametrize("resume", ["window", "since", "after"])
async def test_a_socket_catch_up_is_one_find_and_sends_what_paged_reads_send(
    counted_store: tuple[MongoDatabase, StoreCommandCounter], resume: str
) -> None:
    database, counter = counted_store
    records = await stored_payments(database)
    last_seen = records[2]
    point: dict[str, Any] = {
        "window": {},
        "since": {"since": last_seen.updated_at},
        "after": {"after": ResumeCursor.of(last_seen)},
    }[resume]
    payments = MongoPaymentRepository(database)
    in_pages = Client()
    await CatchUp(payments, FixedClock(NOW), WINDOW, page_size=1)(SUBJECT, in_pages.send, **point)
    counter.counts.clear()
    at_once = Client()

    caught_up = await CatchUp(payments, FixedClock(NOW), WINDOW, page_size=100)(SUBJECT, at_once.send, **point)

    assert counter.counts == {("find", "stk_payments"): 1}
    assert at_once.ids == in_pages.ids
    assert records[0].id in at_once.ids and records[1].id not in at_once.ids
    assert caught_up.complete is True


async def test_a_withdrawal_socket_catch_up_is_one_find(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store
    withdrawals = MongoWithdrawalRepository(database)
    queued = WithdrawalFactory.build(updated_at=NOW - timedelta(hours=2))
    paid_long_ago = WithdrawalFactory.build(status=WithdrawalStatus.SUCCESS, updated_at=NOW - timedelta(hours=2))
    paid = WithdrawalFactory.build(status=WithdrawalStatus.SUCCESS, updated_at=NOW - timedelta(minutes=2))
    for withdrawal in (queued, paid_long_ago, paid):
        await withdrawals.add(withdrawal)
    counter.counts.clear()
    client = Client()

    await CatchUp(withdrawals, FixedClock(NOW), WINDOW, page_size=100)(SUBJECT, client.send)

    assert counter.counts == {("find", "b2c_withdrawals"): 1}
    assert client.ids == [queued.id, paid.id]


async def test_more_records_than_a_page_are_read_in_pages_and_none_is_lost(database: MongoDatabase) -> None:
    records = await stored_payments(database)
    client = Client()

    caught_up = await CatchUp(MongoPaymentRepository(database), FixedClock(NOW), timedelta(hours=1), page_size=3)(
        SUBJECT, client.send
    )

    assert sorted(client.ids) == sorted(p.id for p in records if p is not records[1])
    assert caught_up.complete is True


async def test_the_migration_places_records_stored_before_it(database: MongoDatabase) -> None:
    records = await stored_payments(database)
    collection = database["stk_payments"]
    await collection.update_many({}, {"$unset": {"catch_up_ms": ""}})

    await m0023_catch_up_order.apply(database)

    stored = collection.find({}, projection=["payment_id", "catch_up_ms"])
    placed = {document["payment_id"]: document["catch_up_ms"] async for document in stored}
    assert placed[records[0].id] > ResumeCursor.of(records[-1]).updated_ms  # open: after every change
    assert placed[records[1].id] == ResumeCursor.of(records[1]).updated_ms
    indexes = await collection.index_information()
    keys = {tuple(field for field, _ in index["key"]) for index in indexes.values()}
    assert ("hash", "catch_up_ms", "payment_id") in keys
