import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoDatabase, create_mongo_client
from adapters.mongo.embedded_server import EmbeddedMongo
from adapters.mongo.idempotency_keys import MongoIdempotencyKeys
from domain.shared.idempotency import IDEMPOTENCY_WINDOW
from tests.support.factories import SUBJECT

KEY = "order-42"
# Real time, whole milliseconds: the store's TTL monitor removes documents by its own clock, so a claim made at a
# fixed date in the past would be gone at once. A claim is seen expired by a caller whose `now` is a day ahead.
NOW = datetime.now(UTC).replace(microsecond=0)
LATER = NOW + IDEMPOTENCY_WINDOW + timedelta(seconds=1)


@pytest.fixture
def keys(database: MongoDatabase) -> MongoIdempotencyKeys:
    return MongoIdempotencyKeys(database)


@pytest.fixture
async def processes(
    embedded_mongo: EmbeddedMongo, database: MongoDatabase
) -> AsyncIterator[list[MongoIdempotencyKeys]]:
    """Key stores on clients of their own, standing in for separate gateway processes."""
    clients = [create_mongo_client(embedded_mongo.url) for _ in range(4)]
    try:
        yield [MongoIdempotencyKeys(client[database.name]) for client in clients]
    finally:
        for client in clients:
            await client.close()


async def test_the_first_claim_of_a_key_is_new_and_stored_with_its_expiry(
    keys: MongoIdempotencyKeys, database: MongoDatabase
) -> None:
    claim = await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-1", NOW)

    assert (claim.new, claim.resource_id, claim.fingerprint) == (True, "pay-1", "fp-1")
    stored = await database["idempotency_keys"].find_one({"key": KEY}, {"_id": False})
    assert stored == {
        "scope": "stk",
        "hash": SUBJECT,
        "key": KEY,
        "fingerprint": "fp-1",
        "resource_id": "pay-1",
        "claimed_at": NOW,
        "expires_at": NOW + IDEMPOTENCY_WINDOW,
    }


async def test_a_second_claim_gets_the_first_claims_holder(keys: MongoIdempotencyKeys) -> None:
    await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-1", NOW)

    again = await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-2", NOW + timedelta(hours=23))

    assert (again.new, again.resource_id, again.fingerprint, again.claimed_at) == (False, "pay-1", "fp-1", NOW)


async def test_a_claim_for_a_different_request_gets_the_original_fingerprint(keys: MongoIdempotencyKeys) -> None:
    await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-1", NOW)

    other = await keys.claim("stk", SUBJECT, KEY, "fp-2", "pay-2", NOW)

    assert (other.new, other.resource_id, other.fingerprint) == (False, "pay-1", "fp-1")


async def test_each_scope_and_hash_has_its_own_keys(keys: MongoIdempotencyKeys) -> None:
    await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-1", NOW)

    other_scope = await keys.claim("b2c", SUBJECT, KEY, "fp-1", "wd-1", NOW)
    other_hash = await keys.claim("stk", "f" * 32, KEY, "fp-1", "pay-2", NOW)

    assert (other_scope.new, other_hash.new) == (True, True)


async def test_concurrent_claims_of_one_key_have_exactly_one_winner(
    processes: list[MongoIdempotencyKeys], database: MongoDatabase
) -> None:
    claims = [processes[n % len(processes)].claim("stk", SUBJECT, KEY, "fp-1", f"pay-{n}", NOW) for n in range(20)]

    results = await asyncio.gather(*claims)

    [winner] = [claim for claim in results if claim.new]
    assert {claim.resource_id for claim in results} == {winner.resource_id}
    assert await database["idempotency_keys"].count_documents({"key": KEY}) == 1


async def test_an_expired_key_not_yet_removed_is_taken_over(
    keys: MongoIdempotencyKeys, database: MongoDatabase
) -> None:
    await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-1", NOW)

    later = await keys.claim("stk", SUBJECT, KEY, "fp-2", "pay-2", LATER)

    assert (later.new, later.resource_id) == (True, "pay-2")
    [stored] = await database["idempotency_keys"].find({"key": KEY}).to_list(None)
    assert (stored["resource_id"], stored["fingerprint"], stored["expires_at"]) == (
        "pay-2",
        "fp-2",
        LATER + IDEMPOTENCY_WINDOW,
    )


async def test_concurrent_claims_of_an_expired_key_have_exactly_one_winner(
    keys: MongoIdempotencyKeys, processes: list[MongoIdempotencyKeys], database: MongoDatabase
) -> None:
    await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-0", NOW)
    claims = [processes[n % len(processes)].claim("stk", SUBJECT, KEY, "fp-1", f"pay-{n}", LATER) for n in range(1, 21)]

    results = await asyncio.gather(*claims)

    [winner] = [claim for claim in results if claim.new]
    assert {claim.resource_id for claim in results} == {winner.resource_id}
    [stored] = await database["idempotency_keys"].find({"key": KEY}).to_list(None)
    assert stored["resource_id"] == winner.resource_id


async def test_a_release_frees_the_key_for_the_next_claim(keys: MongoIdempotencyKeys) -> None:
    await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-1", NOW)

    await keys.release("stk", SUBJECT, KEY, "pay-1")

    assert (await keys.claim("stk", SUBJECT, KEY, "fp-2", "pay-2", NOW)).new is True


async def test_a_release_by_another_holder_changes_nothing(keys: MongoIdempotencyKeys) -> None:
    await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-1", NOW)

    await keys.release("stk", SUBJECT, KEY, "pay-2")

    assert (await keys.claim("stk", SUBJECT, KEY, "fp-1", "pay-3", NOW)).resource_id == "pay-1"


async def test_the_idempotency_key_indexes_exist(database: MongoDatabase) -> None:
    indexes = await database["idempotency_keys"].index_information()

    # By key, never by name: the embedded store names indexes its own way.
    described = {_describe(index) for index in indexes.values()}
    assert ((("scope", 1), ("hash", 1), ("key", 1)), True, None) in described
    assert ((("expires_at", 1),), False, 0) in described


async def test_the_store_refuses_a_second_document_for_one_key(database: MongoDatabase) -> None:
    document = {"scope": "stk", "hash": SUBJECT, "key": KEY}
    await database["idempotency_keys"].insert_one(dict(document))

    with pytest.raises(DuplicateKeyError):
        await database["idempotency_keys"].insert_one(dict(document))


def _describe(index: dict[str, Any]) -> tuple[tuple[tuple[str, int], ...], bool, int | None]:
    expire_after = index.get("expireAfterSeconds")
    return (
        tuple((field, int(direction)) for field, direction in index["key"]),
        bool(index.get("unique")),
        None if expire_after is None else int(expire_after),
    )
