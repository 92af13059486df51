from datetime import UTC, datetime, timedelta

import pytest

from domain.shared.check_schedule import MAX_CHECK_DELAY, STK_FIRST_CHECK_AFTER, CheckSchedule

SCHEDULE = CheckSchedule(STK_FIRST_CHECK_AFTER, MAX_CHECK_DELAY, factor=2.0, jitter=0.2)


def test_delays_double_from_the_base_until_the_cap() -> None:
    delays = [SCHEDULE.delay(attempts, spread=0.0) for attempts in range(7)]

    assert [d.total_seconds() for d in delays] == [30, 60, 120, 240, 300, 300, 300]


@pytest.mark.parametrize(("spread", "seconds"), [(-1.0, 24.0), (0.0, 30.0), (1.0, 36.0)])
def test_jitter_spreads_a_delay_by_at_most_a_fifth_either_way(spread: float, seconds: float) -> None:
    assert SCHEDULE.delay(0, spread) == timedelta(seconds=seconds)


def test_jitter_applies_to_the_capped_delay_so_capped_checks_stay_spread() -> None:
    assert SCHEDULE.delay(50, -1.0) == timedelta(minutes=4)
    assert SCHEDULE.delay(50, 1.0) == timedelta(minutes=6)


def test_a_huge_attempt_count_stays_at_the_cap() -> None:
    assert SCHEDULE.delay(10_000, 0.0) == MAX_CHECK_DELAY


def test_the_next_check_is_the_delay_after_now() -> None:
    now = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)

    assert SCHEDULE.next_check(now, 1, 0.0) == now + timedelta(minutes=1)


@pytest.mark.parametrize(
    "arguments",
    [
        {"base": timedelta(0)},
        {"base": timedelta(minutes=10), "maximum": timedelta(minutes=5)},
        {"base": timedelta(seconds=30), "factor": 0.5},
        {"base": timedelta(seconds=30), "jitter": 1.0},
    ],
)
def test_a_schedule_that_could_not_back_off_is_refused(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CheckSchedule(**arguments)  # type: ignore[arg-type]


def test_a_spread_outside_minus_one_to_one_is_refused() -> None:
    with pytest.raises(ValueError):
        SCHEDULE.delay(0, 1.5)
