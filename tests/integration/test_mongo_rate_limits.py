import asyncio
from datetime import UTC, datetime, timedelta

from adapters.mongo.client import MongoDatabase
from adapters.mongo.rate_limiter import MongoRateLimiter

# A day: a window ending soon after NOW (taken at import) could be swept by the TTL monitor mid-test.
WINDOW = timedelta(days=1)
# Real time: the TTL monitor removes windows by its own clock.
NOW = datetime.now(UTC).replace(microsecond=0)


async def test_concurrent_uses_of_one_key_admit_exactly_the_limit(database: MongoDatabase) -> None:
    limiter = MongoRateLimiter(database)

    answers = await asyncio.gather(*(limiter.try_acquire("stk-phone:1", 3, WINDOW, NOW) for _ in range(12)))

    assert answers.count(None) == 3
    assert all(wait is not None and timedelta(0) < wait <= WINDOW for wait in answers if wait is not None)


async def test_a_new_window_counts_from_zero_and_keys_do_not_share(database: MongoDatabase) -> None:
    limiter = MongoRateLimiter(database)
    await limiter.try_acquire("stk-phone:1", 1, WINDOW, NOW)

    refused = await limiter.try_acquire("stk-phone:1", 1, WINDOW, NOW)
    other_key = await limiter.try_acquire("stk-phone:2", 1, WINDOW, NOW)
    next_window = await limiter.try_acquire("stk-phone:1", 1, WINDOW, NOW + WINDOW)

    assert refused is not None
    assert (other_key, next_window) == (None, None)


async def test_window_documents_expire_by_a_ttl_index(database: MongoDatabase) -> None:
    # A day-long window from the real time: one that already ended (NOW is taken at import, minutes before this
    # runs) may be swept away by the TTL monitor before it can be read.
    await MongoRateLimiter(database).try_acquire("stk-phone:1", 1, timedelta(days=1), datetime.now(UTC))

    indexes = await database["rate_limits"].index_information()
    stored = await database["rate_limits"].find_one({"key": "stk-phone:1"})

    assert any(
        index.get("expireAfterSeconds") == 0 and index["key"][0][0] == "expires_at" for index in indexes.values()
    )
    assert stored is not None and isinstance(stored["expires_at"], datetime)
