"""API keys in the store: unique ids, hashed secrets, changes conditional on the version read."""

from datetime import timedelta

import pytest
from pymongo.errors import DuplicateKeyError

from adapters.mongo.api_key_store import MongoApiKeys
from adapters.mongo.client import MongoDatabase
from domain.shared.errors import ConcurrentUpdateError
from tests.support.factories import CREATED_AT, api_key


@pytest.fixture
def api_keys(database: MongoDatabase) -> MongoApiKeys:
    return MongoApiKeys(database)


async def test_a_key_round_trips_and_its_changes_are_kept(api_keys: MongoApiKeys) -> None:
    await api_keys.add(api_key())
    found = await api_keys.by_id("00000000000000a1")
    assert found is not None
    found.last_used_at = CREATED_AT + timedelta(minutes=1)
    found.revoke(CREATED_AT + timedelta(minutes=2))

    await api_keys.save(found)

    again = await api_keys.by_id("00000000000000a1")
    assert again == found and again is not None and again.version == 1
    assert (again.last_used_at, again.revoked_at) == (
        CREATED_AT + timedelta(minutes=1),
        CREATED_AT + timedelta(minutes=2),
    )


async def test_a_key_id_is_unique(api_keys: MongoApiKeys) -> None:
    await api_keys.add(api_key())

    with pytest.raises(DuplicateKeyError):
        await api_keys.add(api_key(name="another"))

    assert [stored.name for stored in await api_keys.all()] == ["shop backend"]


async def test_a_save_over_a_newer_version_changes_nothing(api_keys: MongoApiKeys) -> None:
    await api_keys.add(api_key())
    first, second = await api_keys.by_id("00000000000000a1"), await api_keys.by_id("00000000000000a1")
    assert first is not None and second is not None
    first.revoke(CREATED_AT + timedelta(minutes=1))
    await api_keys.save(first)

    second.last_used_at = CREATED_AT + timedelta(minutes=2)
    with pytest.raises(ConcurrentUpdateError):
        await api_keys.save(second)

    stored = await api_keys.by_id("00000000000000a1")
    assert stored is not None and (stored.revoked_at, stored.last_used_at) == (CREATED_AT + timedelta(minutes=1), None)


async def test_keys_are_listed_oldest_first_and_an_unknown_id_is_none(api_keys: MongoApiKeys) -> None:
    newer = api_key("00000000000000b2", "newer")
    newer.created_at = CREATED_AT + timedelta(days=1)
    await api_keys.add(newer)
    await api_keys.add(api_key())

    assert [stored.key_id for stored in await api_keys.all()] == ["00000000000000a1", "00000000000000b2"]
    assert await api_keys.by_id("00000000000000ff") is None


async def test_a_keys_scopes_round_trip_and_a_key_stored_before_scopes_has_none(
    api_keys: MongoApiKeys, database: MongoDatabase
) -> None:
    await api_keys.add(api_key("00000000000000b1", "refunds", scopes=frozenset({"reversal"})))
    await database["api_keys"].insert_one(
        {"key_id": "00000000000000b2", "name": "old", "secret_sha256": "0" * 64, "created_at": CREATED_AT, "version": 0}
    )

    refunds, old = await api_keys.by_id("00000000000000b1"), await api_keys.by_id("00000000000000b2")

    assert refunds is not None and refunds.allows("reversal")
    assert old is not None and old.scopes == frozenset()
