import json

import pytest

from domain.c2b.payer import PayerForm
from domain.shared.errors import ValidationError
from entrypoints.http.daraja_c2b_body import parse_c2b_body

# Safaricom's C2B v2 confirmation sample, the payer's number masked.
SAMPLE = {
    "TransactionType": "Pay Bill",
    "TransID": "RKTQDM7W6S",
    "TransTime": "20191122063845",
    "TransAmount": "10.00",
    "BusinessShortCode": "600638",
    "BillRefNumber": "inv 0042",
    "InvoiceNumber": "",
    "OrgAccountBalance": "49197.00",
    "ThirdPartyTransID": "",
    "MSISDN": "2547 ***** 126",
    "FirstName": "John",
}


def _raw(**changes: object) -> bytes:
    return json.dumps({**SAMPLE, **changes}).encode()


def test_the_sample_reads_into_domain_words() -> None:
    transaction = parse_c2b_body(_raw(), confirmation=True)

    assert (transaction.trans_id, transaction.amount, transaction.shortcode) == ("RKTQDM7W6S", 10, "600638")
    assert transaction.reference == "INV0042"
    assert transaction.payer.form is PayerForm.MASKED


def test_numbers_where_strings_are_expected_are_read_too() -> None:
    transaction = parse_c2b_body(_raw(TransAmount=10, BusinessShortCode=600638, InvoiceNumber=None), confirmation=True)

    assert (transaction.amount, transaction.shortcode) == (10, "600638")


def test_a_validation_may_come_without_a_receipt_a_confirmation_may_not() -> None:
    assert parse_c2b_body(_raw(TransID=""), confirmation=False).trans_id == ""
    with pytest.raises(ValidationError, match="TransID"):
        parse_c2b_body(_raw(TransID=""), confirmation=True)


@pytest.mark.parametrize("amount", ["10.50", "ten", "NaN", "Infinity"])
def test_an_amount_that_is_no_whole_shillings_is_refused(amount: str) -> None:
    with pytest.raises(ValidationError, match="TransAmount"):
        parse_c2b_body(_raw(TransAmount=amount), confirmation=True)


@pytest.mark.parametrize("raw", [b"{", b"[]", b'{"TransID": "X"}', _raw(BusinessShortCode=" ")])
def test_a_body_that_is_not_darajas_is_refused(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_c2b_body(raw, confirmation=True)
