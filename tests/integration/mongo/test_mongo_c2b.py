import asyncio
from datetime import timedelta

import pytest

from adapters.mongo.c2b_payment_repository import MongoC2bPayments
from adapters.mongo.c2b_request_repository import MongoPaymentRequests
from adapters.mongo.client import MongoDatabase
from adapters.mongo.command_counter import StoreCommandCounter
from domain.c2b.confirmation import PaymentMatch
from domain.c2b.errors import ReferenceTakenError
from domain.c2b.payment_request import RequestStatus
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.shared.errors import ConcurrentUpdateError
from tests.support.factories import CREATED_AT, SUBJECT, c2b_transaction, payment_request
from tests.unit.fakes import FakeBroadcaster, FixedClock

NOW = CREATED_AT


async def test_a_request_reads_back_as_it_was_stored(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    stored = payment_request()
    stored.apply(c2b_transaction(40), NOW)

    await requests.add(stored)

    assert await requests.by_reference("INV-42") == stored
    assert await requests.by_id(SUBJECT, "req-1") == stored
    assert await requests.by_id("another-hash", "req-1") is None


async def test_one_open_request_per_reference_and_a_closed_one_frees_it(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    first = payment_request()
    await requests.add(first)

    with pytest.raises(ReferenceTakenError):
        await requests.add(payment_request("req-2"))
    first.apply(c2b_transaction(100), NOW)
    await requests.save(first)
    await requests.add(payment_request("req-3"))

    newest = await requests.by_reference("INV-42")
    assert newest is not None and newest.id == "req-3"


async def test_a_save_from_a_stale_read_is_refused(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    await requests.add(payment_request())
    one, other = await requests.by_id(SUBJECT, "req-1"), await requests.by_id(SUBJECT, "req-1")
    assert one is not None and other is not None
    one.apply(c2b_transaction(10, "TX00000001"), NOW)
    other.apply(c2b_transaction(20, "TX00000002"), NOW)

    await requests.save(one)
    with pytest.raises(ConcurrentUpdateError):
        await requests.save(other)

    assert (await requests.by_id(SUBJECT, "req-1")).received == 10  # type: ignore[union-attr]


async def test_only_open_requests_past_their_expiry_are_due(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    await requests.add(payment_request("req-1", "A1"))
    closed = payment_request("req-2", "A2")
    closed.apply(c2b_transaction(100, ref="A2"), NOW)
    await requests.add(closed)

    before = await requests.due_to_expire(NOW + timedelta(minutes=59), 10)
    after = await requests.due_to_expire(NOW + timedelta(hours=1, milliseconds=1), 10)

    assert before == []
    assert [r.id for r in after] == ["req-1"]


async def test_the_open_requests_of_a_hash_are_found_most_recently_changed_first(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    older, newer = payment_request("req-1", "A1"), payment_request("req-2", "A2")
    newer.updated_at = NOW + timedelta(seconds=5)
    closed = payment_request("req-3", "A3")
    closed.apply(c2b_transaction(100, ref="A3"), NOW)
    elsewhere = payment_request("req-4", "A4", None, subject="hash-2")
    for each in (older, newer, closed, elsewhere):
        await requests.add(each)

    found = await requests.open_on(SUBJECT, 10)
    first = await requests.open_on(SUBJECT, 1)

    assert [r.id for r in found] == ["req-2", "req-1"]
    assert [r.id for r in first] == ["req-2"]
    assert found[1] == older


async def test_a_payment_is_stored_once_per_trans_id_and_reads_back(database: MongoDatabase) -> None:
    payments = MongoC2bPayments(database)
    confirm = ConfirmPayment(MongoPaymentRequests(database), payments, FakeBroadcaster(), FixedClock(NOW))

    first = await confirm(c2b_transaction(500, ref="NOSUCH"))
    again = await confirm(c2b_transaction(500, ref="NOSUCH"))

    assert (first.new, again.new) == (True, False)
    assert await payments.by_trans_id("RKL51ZDR4F") == first.payment
    assert first.payment.match is PaymentMatch.UNKNOWN_REFERENCE
    assert await database["c2b_payments"].count_documents({}) == 1


async def test_concurrent_confirmations_of_one_request_are_all_counted(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    await requests.add(payment_request(amount=200))
    confirm = ConfirmPayment(requests, MongoC2bPayments(database), FakeBroadcaster(), FixedClock(NOW))

    await asyncio.gather(*(confirm(c2b_transaction(25, f"TX0000000{i}")) for i in range(8)))

    done = await requests.by_id(SUBJECT, "req-1")
    assert done is not None and (done.status, done.received, len(done.confirmations)) == (RequestStatus.PAID, 200, 8)


async def test_a_confirmation_costs_at_most_three_store_commands(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store
    requests = MongoPaymentRequests(database)
    await requests.add(payment_request(amount=100))
    confirm = ConfirmPayment(requests, MongoC2bPayments(database), FakeBroadcaster(), FixedClock(NOW))
    counter.counts.clear()

    await confirm(c2b_transaction(100))

    assert counter.counts == {
        ("find", "c2b_requests"): 1,
        ("insert", "c2b_payments"): 1,
        ("findAndModify", "c2b_requests"): 1,
    }
