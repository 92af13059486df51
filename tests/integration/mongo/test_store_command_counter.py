"""The store command counter sees what the driver sends, named by command and collection, and the metrics scrape
exports it without counting its own reads."""

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from adapters.mongo.client import MongoAsyncClient, create_mongo_client
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.embedded_server import EmbeddedMongo
from adapters.mongo.event_outbox import MongoEventOutbox
from adapters.mongo.record_counts import MongoRecordCounts
from entrypoints.metrics import GatewayMetrics


@pytest.fixture
async def counted_client(embedded_mongo: EmbeddedMongo) -> AsyncIterator[tuple[StoreCommandCounter, MongoAsyncClient]]:
    counter = StoreCommandCounter()
    client = create_mongo_client(embedded_mongo.url, listeners=[counter])
    yield counter, client
    await client.drop_database("command_counter_test")
    await client.close()


async def test_each_command_is_counted_once_by_name_and_collection(
    counted_client: tuple[StoreCommandCounter, MongoAsyncClient],
) -> None:
    counter, client = counted_client
    payments = client["command_counter_test"]["stk_payments"]
    before = counter.total()

    await payments.insert_one({"payment_id": "p1", "status": "pending"})
    await payments.update_one({"payment_id": "p1"}, {"$set": {"status": "paid"}})
    await payments.find_one({"payment_id": "p1"})
    await payments.find_one_and_update({"payment_id": "p1"}, {"$set": {"status": "paid"}})

    assert counter.total() - before == 4
    assert counter.counts[("insert", "stk_payments")] == 1
    assert counter.counts[("update", "stk_payments")] == 1
    assert counter.counts[("find", "stk_payments")] == 1
    assert counter.counts[("findAndModify", "stk_payments")] == 1


async def test_metrics_export_the_counts_and_leave_out_the_scrapes_own_reads(
    counted_client: tuple[StoreCommandCounter, MongoAsyncClient],
) -> None:
    counter, client = counted_client
    database = client["command_counter_test"]
    await database["stk_payments"].insert_one({"payment_id": "p1", "status": "pending"})
    metrics = GatewayMetrics(CollectorRegistry(), MongoRecordCounts(database), store_commands=counter)
    counted_before = counter.total()

    exposition = (await metrics.scrape()).decode()

    assert counter.total() == counted_before
    assert counter.while_scraping > 0
    assert 'mpesa_store_commands_total{collection="stk_payments",command="insert"} 1.0' in exposition
    assert f"mpesa_store_scrape_commands_total {float(counter.while_scraping)}" in exposition


async def test_the_relays_look_at_one_kind_of_record_is_one_find(
    counted_client: tuple[StoreCommandCounter, MongoAsyncClient],
) -> None:
    counter, client = counted_client
    outbox = MongoEventOutbox(client["command_counter_test"])

    before = counter.total()
    await outbox.pending(100, frozenset({"stk"}))
    one_kind = counter.total() - before
    before = counter.total()
    await outbox.pending(100)
    every_kind = counter.total() - before

    assert one_kind == 1
    assert every_kind == 6  # payments, withdrawals, account balances, C2B payments, C2B payment requests, reversals
