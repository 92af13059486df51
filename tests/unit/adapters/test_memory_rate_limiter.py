from datetime import UTC, datetime, timedelta

from adapters.system.memory_rate_limiter import MemoryRateLimiter

MINUTE = timedelta(minutes=1)
START = datetime(2025, 3, 14, 9, 26, 0, tzinfo=UTC)


async def test_uses_past_the_limit_are_told_when_the_window_ends() -> None:
    limiter = MemoryRateLimiter()

    answers = [await limiter.try_acquire("k", 2, MINUTE, START + timedelta(seconds=15)) for _ in range(3)]

    assert answers == [None, None, timedelta(seconds=45)]


async def test_a_new_window_starts_a_new_count_for_every_key() -> None:
    limiter = MemoryRateLimiter()
    await limiter.try_acquire("k", 1, MINUTE, START)

    again = await limiter.try_acquire("k", 1, MINUTE, START + MINUTE)
    other = await limiter.try_acquire("other", 1, MINUTE, START + MINUTE)

    assert (again, other) == (None, None)


async def test_windows_of_different_lengths_count_apart() -> None:
    limiter = MemoryRateLimiter()
    await limiter.try_acquire("k", 1, MINUTE, START)

    hourly = await limiter.try_acquire("k", 1, timedelta(hours=1), START)

    assert hourly is None
