import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient, monitoring

from adapters.mongo.c2b_payment_repository import MongoC2bPayments
from adapters.mongo.c2b_request_repository import MongoPaymentRequests
from adapters.mongo.client import MongoDatabase
from adapters.mongo.embedded_server import EmbeddedMongo
from domain.c2b.account_reference import AccountReference
from domain.c2b.confirmation import C2bTransaction, PaymentMatch
from domain.c2b.errors import ReferenceTakenError
from domain.c2b.payer import Payer
from domain.c2b.payment_request import AmountRule, PaymentRequest, RequestStatus
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.merchant_data import Metadata
from tests.unit.fakes import FakeBroadcaster, FixedClock

NOW = datetime(2026, 12, 3, 9, 0, 0, 123000, tzinfo=UTC)


def request(request_id: str = "req-1", ref: str = "INV-42", amount: int | None = 100) -> PaymentRequest:
    rule = AmountRule.OPEN if amount is None else AmountRule.EXACT
    return PaymentRequest.create(
        request_id,
        "hash-1",
        AccountReference(ref),
        rule,
        amount,
        NOW + timedelta(hours=1),
        NOW,
        Metadata.parse({"order": 7}),
    )


def paid(amount: int, trans_id: str = "RKL51ZDR4F", ref: str = "INV-42") -> C2bTransaction:
    return C2bTransaction(
        trans_id, amount, "600984", ref, Payer("2547 ***** 126"), "20261203120000", "Pay Bill", "NICHOLAS", "25.00"
    )


async def test_a_request_reads_back_as_it_was_stored(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    stored = request()
    stored.apply(paid(40), NOW)

    await requests.add(stored)

    assert await requests.by_reference("INV-42") == stored
    assert await requests.by_id("hash-1", "req-1") == stored
    assert await requests.by_id("another-hash", "req-1") is None


async def test_one_open_request_per_reference_and_a_closed_one_frees_it(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    first = request()
    await requests.add(first)

    with pytest.raises(ReferenceTakenError):
        await requests.add(request("req-2"))
    first.apply(paid(100), NOW)
    await requests.save(first)
    await requests.add(request("req-3"))

    newest = await requests.by_reference("INV-42")
    assert newest is not None and newest.id == "req-3"


async def test_a_save_from_a_stale_read_is_refused(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    await requests.add(request())
    one, other = await requests.by_id("hash-1", "req-1"), await requests.by_id("hash-1", "req-1")
    assert one is not None and other is not None
    one.apply(paid(10, "TX00000001"), NOW)
    other.apply(paid(20, "TX00000002"), NOW)

    await requests.save(one)
    with pytest.raises(ConcurrentUpdateError):
        await requests.save(other)

    assert (await requests.by_id("hash-1", "req-1")).received == 10  # type: ignore[union-attr]


async def test_only_open_requests_past_their_expiry_are_due(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    await requests.add(request("req-1", "A1"))
    closed = request("req-2", "A2")
    closed.apply(paid(100, ref="A2"), NOW)
    await requests.add(closed)

    before = await requests.due_to_expire(NOW + timedelta(minutes=59), 10)
    after = await requests.due_to_expire(NOW + timedelta(hours=1, milliseconds=1), 10)

    assert before == []
    assert [r.id for r in after] == ["req-1"]


async def test_the_open_requests_of_a_hash_are_found_most_recently_changed_first(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    older, newer = request("req-1", "A1"), request("req-2", "A2")
    newer.updated_at = NOW + timedelta(seconds=5)
    closed = request("req-3", "A3")
    closed.apply(paid(100, ref="A3"), NOW)
    elsewhere = PaymentRequest.create(
        "req-4", "hash-2", AccountReference("A4"), AmountRule.OPEN, None, NOW + timedelta(hours=1), NOW
    )
    for each in (older, newer, closed, elsewhere):
        await requests.add(each)

    found = await requests.open_on("hash-1", 10)
    first = await requests.open_on("hash-1", 1)

    assert [r.id for r in found] == ["req-2", "req-1"]
    assert [r.id for r in first] == ["req-2"]
    assert found[1] == older


async def test_a_payment_is_stored_once_per_trans_id_and_reads_back(database: MongoDatabase) -> None:
    payments = MongoC2bPayments(database)
    confirm = ConfirmPayment(MongoPaymentRequests(database), payments, FakeBroadcaster(), FixedClock(NOW))

    first = await confirm(paid(500, ref="NOSUCH"))
    again = await confirm(paid(500, ref="NOSUCH"))

    assert (first.new, again.new) == (True, False)
    assert await payments.by_trans_id("RKL51ZDR4F") == first.payment
    assert first.payment.match is PaymentMatch.UNKNOWN_REFERENCE
    assert await database["c2b_payments"].count_documents({}) == 1


async def test_concurrent_confirmations_of_one_request_are_all_counted(database: MongoDatabase) -> None:
    requests = MongoPaymentRequests(database)
    await requests.add(request(amount=200))
    confirm = ConfirmPayment(requests, MongoC2bPayments(database), FakeBroadcaster(), FixedClock(NOW))

    await asyncio.gather(*(confirm(paid(25, f"TX0000000{i}")) for i in range(8)))

    done = await requests.by_id("hash-1", "req-1")
    assert done is not None and (done.status, done.received, len(done.confirmations)) == (RequestStatus.PAID, 200, 8)


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def counted(
    embedded_mongo: EmbeddedMongo, database: MongoDatabase
) -> AsyncIterator[tuple[MongoDatabase, CommandCounter]]:
    counter = CommandCounter()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        embedded_mongo.url, tz_aware=True, event_listeners=[counter]
    )
    await client.admin.command("ping")
    yield client[database.name], counter  # type: ignore[misc]
    await client.close()


async def test_a_confirmation_costs_at_most_three_store_commands(counted: tuple[MongoDatabase, CommandCounter]) -> None:
    database, counter = counted
    requests = MongoPaymentRequests(database)
    await requests.add(request(amount=100))
    confirm = ConfirmPayment(requests, MongoC2bPayments(database), FakeBroadcaster(), FixedClock(NOW))
    counter.commands.clear()

    await confirm(paid(100))

    assert counter.commands == ["find", "insert", "findAndModify"]
