"""Daraja's C2B validation and confirmation body (docs/daraja.md#c2b-confirmation): flat, every value a string.

Numbers are read as strings or numbers alike, since samples and SDKs show both; the fields the gateway does not
rely on may be missing or null.
"""

from decimal import Decimal, InvalidOperation

import msgspec

from domain.c2b.confirmation import C2bTransaction
from domain.c2b.payer import Payer
from domain.shared.errors import ValidationError
from entrypoints.protocol.json_bounds import check_json_bounds

_Text = str | int | float | None


class C2bBody(msgspec.Struct):
    TransAmount: str | int | float
    BusinessShortCode: str | int
    TransID: str = ""
    TransactionType: _Text = None
    TransTime: _Text = None
    BillRefNumber: _Text = None
    InvoiceNumber: _Text = None
    OrgAccountBalance: _Text = None
    ThirdPartyTransID: _Text = None
    MSISDN: _Text = None
    FirstName: _Text = None
    MiddleName: _Text = None
    LastName: _Text = None


_decoder = msgspec.json.Decoder(C2bBody)


def _text(value: _Text) -> str:
    return "" if value is None else str(value).strip()


def _whole_shillings(raw: str | int | float) -> int:
    # M-PESA moves whole shillings; "100.00" is how Daraja writes 100, "100.50" is no amount it can send.
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError("TransAmount", "is not a number") from None
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValidationError("TransAmount", "is not a whole number of shillings")
    return int(amount)


def parse_c2b_body(raw: bytes, *, confirmation: bool) -> C2bTransaction:
    check_json_bounds(raw, "body")
    try:
        body = _decoder.decode(raw)
    except msgspec.DecodeError as fault:  # includes msgspec's ValidationError
        raise ValidationError("body", str(fault)) from fault
    trans_id = body.TransID.strip()
    if confirmation and not trans_id:
        raise ValidationError("TransID", "is required: a confirmation is stored once per receipt")
    shortcode = _text(body.BusinessShortCode)
    if not shortcode:
        raise ValidationError("BusinessShortCode", "is required")
    return C2bTransaction(
        trans_id=trans_id,
        amount=_whole_shillings(body.TransAmount),
        shortcode=shortcode,
        bill_reference=_text(body.BillRefNumber),
        payer=Payer(_text(body.MSISDN)),
        trans_time=_text(body.TransTime),
        transaction_type=_text(body.TransactionType),
        first_name=_text(body.FirstName),
        org_account_balance=_text(body.OrgAccountBalance),
        third_party_trans_id=_text(body.ThirdPartyTransID),
    )
