import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.mongo.b2c_daily_allowance import MongoDailyAllowance
from adapters.mongo.client import MongoDatabase, create_mongo_client
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.factories import SUBJECT

DAY = "2025-03-14"
LIMIT = 1_000


@pytest.fixture
def allowance(database: MongoDatabase) -> MongoDailyAllowance:
    return MongoDailyAllowance(database)


@pytest.fixture
async def processes(embedded_mongo: EmbeddedMongo, database: MongoDatabase) -> AsyncIterator[list[MongoDailyAllowance]]:
    """Four allowances on clients of their own, standing in for separate gateway processes."""
    clients = [create_mongo_client(embedded_mongo.url) for _ in range(4)]
    try:
        yield [MongoDailyAllowance(client[database.name]) for client in clients]
    finally:
        for client in clients:
            await client.close()


async def test_a_reservation_within_the_limit_is_granted(
    allowance: MongoDailyAllowance, database: MongoDatabase
) -> None:
    granted = await allowance.reserve(SUBJECT, DAY, 400, LIMIT)

    assert granted is True
    assert await _total(database, SUBJECT, DAY) == 400


async def test_reservations_may_reach_the_limit_exactly(
    allowance: MongoDailyAllowance, database: MongoDatabase
) -> None:
    await allowance.reserve(SUBJECT, DAY, 600, LIMIT)

    granted = await allowance.reserve(SUBJECT, DAY, 400, LIMIT)

    assert granted is True
    assert await _total(database, SUBJECT, DAY) == LIMIT


async def test_a_reservation_past_the_limit_is_refused_and_changes_nothing(
    allowance: MongoDailyAllowance, database: MongoDatabase
) -> None:
    await allowance.reserve(SUBJECT, DAY, 600, LIMIT)

    granted = await allowance.reserve(SUBJECT, DAY, 401, LIMIT)

    assert granted is False
    assert await _total(database, SUBJECT, DAY) == 600


async def test_a_first_reservation_larger_than_the_limit_is_refused(
    allowance: MongoDailyAllowance, database: MongoDatabase
) -> None:
    granted = await allowance.reserve(SUBJECT, DAY, LIMIT + 1, LIMIT)

    assert granted is False
    assert await _total(database, SUBJECT, DAY) == 0


async def test_concurrent_reservations_never_pass_the_limit_together(
    processes: list[MongoDailyAllowance], database: MongoDatabase
) -> None:
    attempts = [processes[n % len(processes)].reserve(SUBJECT, DAY, 100, LIMIT) for n in range(20)]

    granted = await asyncio.gather(*attempts)

    assert granted.count(True) == 10
    assert await _total(database, SUBJECT, DAY) == LIMIT
    assert await database["b2c_daily_totals"].count_documents({"hash": SUBJECT}) == 1


async def test_a_release_gives_the_amount_back(allowance: MongoDailyAllowance, database: MongoDatabase) -> None:
    await allowance.reserve(SUBJECT, DAY, 700, LIMIT)

    await allowance.release(SUBJECT, DAY, 500)

    assert await _total(database, SUBJECT, DAY) == 200
    assert await allowance.reserve(SUBJECT, DAY, 800, LIMIT) is True


async def test_a_release_never_takes_the_total_below_nothing(
    allowance: MongoDailyAllowance, database: MongoDatabase
) -> None:
    await allowance.reserve(SUBJECT, DAY, 300, LIMIT)

    await allowance.release(SUBJECT, DAY, 500)

    assert await _total(database, SUBJECT, DAY) == 0


async def test_a_release_for_a_day_without_reservations_changes_nothing(
    allowance: MongoDailyAllowance, database: MongoDatabase
) -> None:
    await allowance.release(SUBJECT, DAY, 500)

    assert await database["b2c_daily_totals"].count_documents({"hash": SUBJECT}) == 0


async def test_each_day_has_its_own_total(allowance: MongoDailyAllowance, database: MongoDatabase) -> None:
    await allowance.reserve(SUBJECT, DAY, LIMIT, LIMIT)

    next_day = await allowance.reserve(SUBJECT, "2025-03-15", LIMIT, LIMIT)

    assert next_day is True
    assert await _total(database, SUBJECT, DAY) == LIMIT


async def test_each_subject_has_its_own_total(allowance: MongoDailyAllowance, database: MongoDatabase) -> None:
    other_subject = "f" * 32
    await allowance.reserve(SUBJECT, DAY, LIMIT, LIMIT)

    other = await allowance.reserve(other_subject, DAY, LIMIT, LIMIT)
    await allowance.release(other_subject, DAY, LIMIT)

    assert other is True
    assert (await _total(database, SUBJECT, DAY), await _total(database, other_subject, DAY)) == (LIMIT, 0)


async def test_the_daily_total_index_exists(database: MongoDatabase) -> None:
    indexes = await database["b2c_daily_totals"].index_information()

    # By key, never by name: the embedded store names indexes its own way.
    keys = {(tuple((f, int(d)) for f, d in index["key"]), bool(index.get("unique"))) for index in indexes.values()}
    assert ((("hash", 1), ("day", 1)), True) in keys


async def _total(database: MongoDatabase, subject: str, day: str) -> int:
    stored = await database["b2c_daily_totals"].find_one({"hash": subject, "day": day})
    return 0 if stored is None else int(stored["total"])


async def test_a_days_first_reservation_is_one_update_storing_only_the_amount(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store

    granted = await MongoDailyAllowance(database).reserve(SUBJECT, DAY, 400, LIMIT)

    assert granted is True
    assert counter.counts == {("update", "b2c_daily_totals"): 1}
    stored = await database["b2c_daily_totals"].find_one({"hash": SUBJECT, "day": DAY}, {"_id": False})
    assert stored == {"hash": SUBJECT, "day": DAY, "total": 400}


async def test_a_later_reservation_within_the_limit_is_one_update(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store
    allowance = MongoDailyAllowance(database)
    await allowance.reserve(SUBJECT, DAY, 400, LIMIT)
    counter.counts.clear()

    granted = await allowance.reserve(SUBJECT, DAY, 600, LIMIT)

    assert granted is True
    assert counter.counts == {("update", "b2c_daily_totals"): 1}
    assert await _total(database, SUBJECT, DAY) == LIMIT


async def test_a_refused_reservation_costs_at_most_two_updates_and_adds_no_document(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store
    allowance = MongoDailyAllowance(database)
    await allowance.reserve(SUBJECT, DAY, 600, LIMIT)
    counter.counts.clear()

    granted = await allowance.reserve(SUBJECT, DAY, 401, LIMIT)

    assert granted is False
    assert counter.total() <= 2 and set(counter.counts) == {("update", "b2c_daily_totals")}
    assert await database["b2c_daily_totals"].count_documents({"hash": SUBJECT}) == 1
    assert await _total(database, SUBJECT, DAY) == 600


async def test_an_amount_above_the_limit_is_refused_without_a_command(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store

    granted = await MongoDailyAllowance(database).reserve(SUBJECT, DAY, LIMIT + 1, LIMIT)

    assert granted is False
    assert counter.total() == 0


async def test_concurrent_reservations_of_mixed_amounts_on_a_new_day_never_pass_the_limit(
    processes: list[MongoDailyAllowance], database: MongoDatabase
) -> None:
    amounts = [150, 300, 50, 450, 250, 100, 350, 200, 400, 50] * 3

    granted = await asyncio.gather(
        *(processes[n % len(processes)].reserve(SUBJECT, DAY, amount, LIMIT) for n, amount in enumerate(amounts))
    )

    reserved = sum(amount for amount, given in zip(amounts, granted, strict=True) if given)
    assert await _total(database, SUBJECT, DAY) == reserved
    assert reserved <= LIMIT
    # Totals only grow, so a refusal is right only if that amount does not fit even now.
    assert all(reserved + amount > LIMIT for amount, given in zip(amounts, granted, strict=True) if not given)
    assert await database["b2c_daily_totals"].count_documents({"hash": SUBJECT}) == 1
