from datetime import UTC, datetime, timedelta

import pytest

from domain.shared.resume_cursor import BEGINNING, ResumeCursor, epoch_ms
from tests.support.factories import PaymentFactory

MOMENT = datetime(2025, 3, 14, 9, 0, 7, 250_999, tzinfo=UTC)


def test_a_change_is_placed_by_its_millisecond_then_its_record_id() -> None:
    same_ms_low, same_ms_high = ResumeCursor(1_000, "0a"), ResumeCursor(1_000, "0b")
    next_ms = ResumeCursor(1_001, "00")

    assert BEGINNING < ResumeCursor(1_000) < same_ms_low < same_ms_high < next_ms
    assert sorted([next_ms, same_ms_high, ResumeCursor(1_000), same_ms_low]) == [
        ResumeCursor(1_000),
        same_ms_low,
        same_ms_high,
        next_ms,
    ]


def test_before_a_moment_comes_before_every_change_in_its_millisecond_and_after_every_earlier_one() -> None:
    at_that_ms = PaymentFactory.build(updated_at=MOMENT.replace(microsecond=250_000))
    a_ms_earlier = PaymentFactory.build(updated_at=MOMENT - timedelta(milliseconds=1))

    assert ResumeCursor.of(a_ms_earlier) < ResumeCursor.before(MOMENT) < ResumeCursor.of(at_that_ms)


def test_the_millisecond_is_cut_as_bson_cuts_a_date_never_rounded() -> None:
    assert epoch_ms(MOMENT) == epoch_ms(MOMENT.replace(microsecond=250_000)) == 1_741_942_807_250


def test_a_cursor_reads_back_from_its_encoded_form_and_later_cursors_are_greater_strings() -> None:
    cursors = [ResumeCursor(999, "ff"), ResumeCursor(1_000), ResumeCursor(1_000, "0a"), ResumeCursor(10**13, "00")]

    assert [ResumeCursor.parse(c.encode()) for c in cursors] == cursors
    assert sorted(c.encode() for c in cursors) == [c.encode() for c in cursors]


@pytest.mark.parametrize("text", ["", "yesterday", "123-abc", "000000000001000-a/b", "000000000001000", "-1-a"])
def test_anything_but_an_encoded_cursor_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a resume cursor"):
        ResumeCursor.parse(text)
