from datetime import UTC, datetime, timedelta

from domain.webhooks.retry import RetrySchedule
from tests.unit.fakes import FixedRandom

SCHEDULE = RetrySchedule(base=timedelta(seconds=10), maximum=timedelta(hours=1), give_up_after=timedelta(hours=72))
START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def test_the_ceiling_doubles_with_each_failure_up_to_the_maximum() -> None:
    ceilings = [SCHEDULE.ceiling(failures).total_seconds() for failures in range(1, 12)]

    assert ceilings == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]


def test_every_wait_lies_between_half_and_all_of_the_ceiling() -> None:
    for failures in range(1, 20):
        ceiling = SCHEDULE.ceiling(failures)

        assert SCHEDULE.wait(failures, FixedRandom(0.0)) == ceiling / 2
        assert SCHEDULE.wait(failures, FixedRandom(1.0)) == ceiling


def test_a_huge_failure_count_stays_at_the_maximum() -> None:
    assert SCHEDULE.ceiling(10_000) == timedelta(hours=1)


def test_it_gives_up_once_the_retry_period_has_passed() -> None:
    assert not SCHEDULE.gives_up(START, START + timedelta(hours=71, minutes=59))
    assert SCHEDULE.gives_up(START, START + timedelta(hours=72))
