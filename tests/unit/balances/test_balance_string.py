"""The balance string parser against every shape Daraja's pages and the clients' fixtures show (docs/balances.md)."""

from decimal import Decimal

import pytest

from domain.balances.account_balance import AccountBalance, parse_balance_string

# The Account Balance Result on Safaricom's developer portal: five accounts, six fields each, a negative one.
PORTAL_SAMPLE = (
    "Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|KES|0.00|0.00|0.00|0.00"
    "&Utility Account|KES|228037.00|228037.00|0.00|0.00&Charges Paid Account|KES|-1540.00|-1540.00|0.00|0.00"
    "&Organization Settlement Account|KES|0.00|0.00|0.00|0.00"
)


def by_name(text: object) -> dict[str, AccountBalance]:
    return {account.name: account for account in parse_balance_string(text)}


def test_every_account_of_the_portal_sample_is_read_by_name() -> None:
    accounts = by_name(PORTAL_SAMPLE)

    assert list(accounts) == [
        "Working Account",
        "Float Account",
        "Utility Account",
        "Charges Paid Account",
        "Organization Settlement Account",
    ]
    assert accounts["Utility Account"] == AccountBalance(
        "Utility Account", "KES", Decimal("228037.00"), Decimal("228037.00"), Decimal("0.00"), Decimal("0.00")
    )
    assert accounts["Charges Paid Account"].available == Decimal("-1540.00")


def test_the_fourth_field_is_the_available_balance_and_reserved_makes_up_the_rest() -> None:
    # The B2B Result sample: current 346568.83 = available 6186.83 + reserved 340382.00.
    (working,) = parse_balance_string("Working Account|KES|346568.83|6186.83|340382.00|0.00")

    assert (working.current, working.available, working.reserved) == (
        Decimal("346568.83"),
        Decimal("6186.83"),
        Decimal("340382.00"),
    )
    assert working.available + working.reserved == working.current


def test_a_reversal_debit_account_balance_holds_one_account() -> None:
    (utility,) = parse_balance_string("Utility Account|KES|7722179.62|7722179.62|0.00|0.00")

    assert utility.name == "Utility Account" and utility.available == Decimal("7722179.62")


def test_the_three_field_charges_variant_is_read_with_its_one_amount_as_available() -> None:
    (charge,) = parse_balance_string("Business Pay Bill Charge|KES|77.00")

    assert charge == AccountBalance("Business Pay Bill Charge", "KES", Decimal("77.00"), Decimal("77.00"))


def test_a_till_reports_its_merchant_account_in_any_order() -> None:
    accounts = by_name(
        "Charges Paid Account|KES|-10.00|-10.00|0.00|0.00&Merchant Account|KES|5120.50|5000.00|120.50|0.00"
        "&Working Account|KES|0.00|0.00|0.00|0.00"
    )

    assert accounts["Merchant Account"].available == Decimal("5000.00")
    assert set(accounts) == {"Charges Paid Account", "Merchant Account", "Working Account"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Whole shillings without decimals, and a trailing separator.
        ("Utility Account|KES|1500|1500|0|0&", Decimal("1500.00")),
        # Spaces around the fields.
        (" Utility Account | KES | 99.5 | 99.5 | 0.00 | 0.00 ", Decimal("99.50")),
        # Empty amount fields count as zero.
        ("Utility Account|KES|10.00|10.00||", Decimal("10.00")),
        # Lower-case currency.
        ("Utility Account|kes|10.00|10.00|0.00|0.00", Decimal("10.00")),
        # Thousands separators, as some renderings of the portal show.
        ("Utility Account|KES|1,234,567.89|1,234,567.89|0.00|0.00", Decimal("1234567.89")),
    ],
)
def test_odd_but_readable_forms_are_read(text: str, expected: Decimal) -> None:
    (utility,) = parse_balance_string(text)

    assert utility.available == expected and utility.currency == "KES"


def test_cents_are_kept_exactly() -> None:
    (utility,) = parse_balance_string("Utility Account|KES|0.10|0.20|0.00|0.00")

    assert utility.available == Decimal("0.20") and isinstance(utility.available, Decimal)


def test_a_repeated_account_keeps_its_last_reading() -> None:
    accounts = by_name("Utility Account|KES|1.00|1.00|0|0&Utility Account|KES|2.00|2.00|0|0")

    assert accounts["Utility Account"].available == Decimal("2.00")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "&&",
        "Utility Account",
        "Utility Account|KES",
        "Utility Account|KES|abc|1.00|0|0",
        "Utility Account|KES|NaN|NaN|0|0",
        "Utility Account|KES|Infinity|1|0|0",
        "|KES|1.00|1.00|0|0",
        "Utility Account|KSH1|1.00|1.00|0|0",
        "Utility Account|KES||||",
        "{Amount={CurrencyCode=KES, MinimumAmount=618683, BasicAmount=6186.83}}",
        None,
        12345,
    ],
)
def test_unreadable_input_reports_no_account(text: object) -> None:
    assert parse_balance_string(text) == ()


def test_an_unreadable_chunk_is_skipped_and_the_others_kept() -> None:
    accounts = by_name("Working Account|KES|oops|1|0|0&Utility Account|KES|5.00|5.00|0.00|0.00")

    assert list(accounts) == ["Utility Account"]
