import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.amount import TRANSACTION_MAXIMUM, Amount
from domain.shared.error_codes import ErrorCode
from domain.shared.errors import ValidationError


@given(shillings=st.integers(min_value=1, max_value=TRANSACTION_MAXIMUM))
def test_any_whole_number_of_shillings_within_the_limits_is_accepted(shillings: int) -> None:
    amount = Amount.parse(shillings)

    assert amount.shillings == shillings
    assert int(amount) == shillings


@pytest.mark.parametrize("raw", [0, -5, 1.5, 100.0, "100", True, False, None, TRANSACTION_MAXIMUM + 1])
def test_anything_but_whole_shillings_within_the_limits_is_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Amount.parse(raw)

    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert [detail["field"] for detail in refused.value.details] == ["amount"]


def test_a_lower_configured_maximum_is_enforced() -> None:
    with pytest.raises(ValidationError) as refused:
        Amount.parse(1_001, maximum=1_000)

    assert "1000" in refused.value.details[0]["message"]


def test_the_configured_maximum_itself_is_allowed() -> None:
    amount = Amount.parse(1_000, maximum=1_000)

    assert amount == Amount(1_000)


def test_refusal_names_the_field_it_was_given() -> None:
    with pytest.raises(ValidationError) as refused:
        Amount.parse(0, field="b2c.amount")

    assert refused.value.field == "b2c.amount"
    assert refused.value.details[0]["field"] == "b2c.amount"
