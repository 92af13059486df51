import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.error_codes import ErrorCode
from domain.shared.errors import ValidationError
from domain.shared.phone import Phone

subscribers = st.builds(lambda first, rest: first + rest, st.sampled_from("71"), st.from_regex(r"\A[0-9]{8}\Z"))


@pytest.mark.parametrize(
    ("raw", "msisdn"),
    [
        ("0712345678", "254712345678"),
        ("0112345678", "254112345678"),
        ("712345678", "254712345678"),
        ("112345678", "254112345678"),
        ("+254712345678", "254712345678"),
        ("254712345678", "254712345678"),
        ("254112345678", "254112345678"),
        ("+254112345678", "254112345678"),
        (" 0712 345 678 ", "254712345678"),
        (254712345678, "254712345678"),
    ],
)
def test_every_usual_written_form_becomes_darajas_form(raw: object, msisdn: str) -> None:
    phone = Phone.parse(raw)

    assert phone.msisdn == msisdn


@pytest.mark.parametrize(
    "raw",
    [
        "0712",
        "254812345678",
        "0812345678",
        "07123456789",
        "071234567",
        "07123abc78",
        "phone",
        "",
        "   ",
        "+0712345678",
        "2540712345678",
        True,
        False,
        None,
        712345678.0,
        ["0712345678"],
    ],
)
def test_anything_but_a_kenyan_mpesa_number_is_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Phone.parse(raw)

    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert [detail["field"] for detail in refused.value.details] == ["phone"]


def test_refusal_names_the_field_it_was_given() -> None:
    with pytest.raises(ValidationError) as refused:
        Phone.parse("0712", field="recipient")

    assert refused.value.field == "recipient"
    assert refused.value.details[0]["field"] == "recipient"


def test_masked_phone_shows_only_country_prefix_and_last_four_digits() -> None:
    phone = Phone.parse("0712345678")

    masked = phone.masked

    assert masked == "2547****5678"


@given(subscriber=subscribers)
def test_any_subscriber_number_round_trips_in_every_written_form(subscriber: str) -> None:
    forms = ["0" + subscriber, subscriber, "254" + subscriber, "+254" + subscriber]

    parsed = {Phone.parse(form) for form in forms}

    assert parsed == {Phone("254" + subscriber)}
    assert Phone.parse(str(parsed.pop())) == Phone("254" + subscriber)


@given(subscriber=st.from_regex(r"\A[02-689][0-9]{8}\Z"))
def test_no_number_outside_the_07_and_01_ranges_is_accepted(subscriber: str) -> None:
    with pytest.raises(ValidationError):
        Phone.parse("254" + subscriber)


ARABIC_INDIC = "07\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"
FULLWIDTH = "07\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"


@pytest.mark.parametrize("raw", [ARABIC_INDIC, FULLWIDTH], ids=["arabic-indic", "fullwidth"])
def test_non_ascii_digits_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        Phone.parse(raw)
