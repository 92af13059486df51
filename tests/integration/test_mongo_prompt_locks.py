import asyncio
from datetime import UTC, datetime, timedelta

from adapters.mongo.client import MongoDatabase
from adapters.mongo.prompt_locks import MongoPromptLocks
from domain.phone import Phone

# Real time, and a lifetime far longer than the test: the TTL monitor removes locks by its own clock.
NOW = datetime.now(UTC).replace(microsecond=0)
LIFETIME = timedelta(hours=1)
PHONE = Phone.parse("254712345678")


async def test_of_concurrent_acquisitions_of_one_phone_exactly_one_wins(database: MongoDatabase) -> None:
    locks = MongoPromptLocks(database)

    answers = await asyncio.gather(*(locks.acquire(PHONE, f"payment-{n}", NOW, NOW + LIFETIME) for n in range(12)))

    assert answers.count(None) == 1
    assert {answer for answer in answers if answer is not None} == {NOW + LIFETIME}


async def test_a_released_lock_can_be_taken_again_and_phones_do_not_share(database: MongoDatabase) -> None:
    locks = MongoPromptLocks(database)
    await locks.acquire(PHONE, "first", NOW, NOW + LIFETIME)
    other_phone = await locks.acquire(Phone.parse("254712000000"), "other", NOW, NOW + LIFETIME)

    await locks.release(PHONE, "first")
    again = await locks.acquire(PHONE, "second", NOW, NOW + LIFETIME)

    assert other_phone is None
    assert again is None


async def test_only_the_holder_releases_the_lock(database: MongoDatabase) -> None:
    locks = MongoPromptLocks(database)
    await locks.acquire(PHONE, "holder", NOW, NOW + LIFETIME)

    await locks.release(PHONE, "someone-else")

    assert await locks.acquire(PHONE, "second", NOW, NOW + LIFETIME) == NOW + LIFETIME


async def test_an_expired_lock_not_yet_swept_is_taken_over_by_one_winner(database: MongoDatabase) -> None:
    locks = MongoPromptLocks(database)
    await locks.acquire(PHONE, "stale", NOW, NOW + LIFETIME)
    later = NOW + LIFETIME + timedelta(seconds=1)  # past its expiry by the lock's clock, not yet by the TTL monitor's

    answers = await asyncio.gather(*(locks.acquire(PHONE, f"p{n}", later, later + LIFETIME) for n in range(6)))

    assert answers.count(None) == 1


async def test_locks_expire_by_a_ttl_index(database: MongoDatabase) -> None:
    await MongoPromptLocks(database).acquire(PHONE, "holder", NOW, NOW + LIFETIME)

    indexes = await database["stk_prompt_locks"].index_information()
    stored = await database["stk_prompt_locks"].find_one({"_id": PHONE.msisdn})

    assert any(
        index.get("expireAfterSeconds") == 0 and index["key"][0][0] == "expires_at" for index in indexes.values()
    )
    assert stored is not None and isinstance(stored["expires_at"], datetime)
