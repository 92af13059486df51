"""The catch-up's reads on the embedded store, which compares dates only to the whole second: records in the order
(updated_ms, id) after a cursor, with ties in a millisecond and in a second told apart exactly."""

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoDatabase
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.shared.resume_cursor import BEGINNING, ResumeCursor
from domain.stk.payment import Payment
from domain.stk.result_codes import PaymentStatus
from migrations.steps import m0011_change_order
from tests.support.factories import SUBJECT, PaymentFactory, WithdrawalFactory

SECOND = datetime(2025, 3, 14, 9, 0, 7, tzinfo=UTC)


def settled_payment(at: datetime, **overrides: Any) -> Payment:
    fields: dict[str, Any] = {"status": PaymentStatus.SUCCESS, "result_code": "0", "receipt": "TST0000001"}
    return PaymentFactory.build(created_at=SECOND - timedelta(minutes=1), updated_at=at, **{**fields, **overrides})


def in_order(records: list[Any]) -> list[str]:
    return [r.id for r in sorted(records, key=ResumeCursor.of)]


async def test_payments_changed_in_one_second_are_read_after_a_cursor_exactly_in_change_order(
    database: MongoDatabase,
) -> None:
    payments = MongoPaymentRepository(database)
    # Four in one millisecond, the rest later in the same second; one of another hash in the same millisecond.
    stored = [settled_payment(SECOND + timedelta(milliseconds=ms)) for ms in (250, 250, 250, 250, 251, 600, 999)]
    for payment in [*stored, settled_payment(SECOND + timedelta(milliseconds=250), subject="another-hash")]:
        await payments.add(payment)
    ordered = in_order(stored)
    cursor = ResumeCursor.of(next(p for p in stored if p.id == ordered[1]))

    after_cursor = await payments.changed_after(SUBJECT, cursor, limit=10)
    from_the_second = await payments.changed_after(SUBJECT, ResumeCursor.before(SECOND), limit=3)

    assert [p.id for p in after_cursor] == ordered[2:]
    assert [p.id for p in from_the_second] == ordered[:3]


async def test_open_payments_are_read_up_to_and_including_a_cursor(database: MongoDatabase) -> None:
    payments = MongoPaymentRepository(database)
    open_ones = [PaymentFactory.build(updated_at=SECOND + timedelta(milliseconds=ms)) for ms in (1, 1, 2)]
    for payment in [*open_ones, settled_payment(SECOND + timedelta(milliseconds=1))]:
        await payments.add(payment)
    ordered = in_order(open_ones)
    until = ResumeCursor.of(next(p for p in open_ones if p.id == ordered[1]))

    found = await payments.open_between(SUBJECT, BEGINNING, until, limit=10)
    after_the_first = await payments.open_between(SUBJECT, ResumeCursor.of(found[0]), until, limit=10)

    assert [p.id for p in found] == ordered[:2]
    assert [p.id for p in after_the_first] == ordered[1:2]


async def test_withdrawals_are_read_after_a_cursor_in_change_order_and_open_ones_up_to_it(
    database: MongoDatabase,
) -> None:
    withdrawals = MongoWithdrawalRepository(database)
    paid = [
        WithdrawalFactory.build(status=WithdrawalStatus.SUCCESS, updated_at=SECOND + timedelta(milliseconds=ms))
        for ms in (5, 5, 5, 6)
    ]
    queued = WithdrawalFactory.build(updated_at=SECOND + timedelta(milliseconds=5))
    for withdrawal in [*paid, queued]:
        await withdrawals.add(withdrawal)
    everything: list[Withdrawal] = [*paid, queued]
    ordered = in_order(everything)
    cursor = ResumeCursor.of(everything[[w.id for w in everything].index(ordered[0])])

    after_cursor = await withdrawals.changed_after(SUBJECT, cursor, limit=10)
    still_open = await withdrawals.open_between(
        SUBJECT, BEGINNING, ResumeCursor.before(SECOND + timedelta(seconds=1)), 10
    )

    assert [w.id for w in after_cursor] == ordered[1:]
    assert [w.id for w in still_open] == [queued.id]


async def test_m0011_gives_documents_stored_before_it_their_updated_ms(database: MongoDatabase) -> None:
    payments = MongoPaymentRepository(database)
    earlier = settled_payment(SECOND + timedelta(milliseconds=321))
    await payments.add(earlier)
    await database["stk_payments"].update_many({}, {"$unset": {"updated_ms": ""}})

    await m0011_change_order.apply(database)

    stored = await database["stk_payments"].find_one({"payment_id": {"$eq": earlier.id}})
    assert stored is not None and stored["updated_ms"] == ResumeCursor.of(earlier).updated_ms
    assert [p.id for p in await payments.changed_after(SUBJECT, ResumeCursor.before(SECOND), 10)] == [earlier.id]
