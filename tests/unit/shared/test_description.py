import pytest

from domain.shared.description import MAXIMUM_LENGTH, Description
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import ValidationError


def test_surrounding_whitespace_is_trimmed_and_inner_runs_folded_to_one_space() -> None:
    description = Description.parse("  Order \t 42\n  for   Wanjiku  ")

    assert description.text == "Order 42 for Wanjiku"
    assert str(description) == "Order 42 for Wanjiku"


def test_exactly_the_maximum_length_is_accepted() -> None:
    description = Description.parse("x" * MAXIMUM_LENGTH)

    assert len(description.text) == MAXIMUM_LENGTH


def test_length_is_judged_after_folding_whitespace() -> None:
    description = Description.parse("  " + "a " * 50 + "  ")

    assert len(description.text) == 99


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "\n\t", "x" * (MAXIMUM_LENGTH + 1), "x" * 2_000, None, 42, b"order 42", ["order"]],
)
def test_empty_overlong_or_non_text_descriptions_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Description.parse(raw)

    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert [detail["field"] for detail in refused.value.details] == ["description"]
