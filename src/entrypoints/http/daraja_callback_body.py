"""Daraja's STK callback body (docs/daraja.md#stk-push-callback), read leniently: types vary and new fields appear."""

from typing import Any

import msgspec

from domain.shared.errors import ValidationError
from domain.stk.payment import StkResult
from entrypoints.http.daraja_values import whole_shillings
from entrypoints.protocol.json_bounds import check_json_bounds


class CallbackItem(msgspec.Struct):
    Name: str
    Value: Any = None  # Balance often comes with no Value at all


class StkCallbackMetadata(msgspec.Struct):
    Item: list[CallbackItem] = msgspec.field(default_factory=list)


class StkCallback(msgspec.Struct):
    MerchantRequestID: str
    CheckoutRequestID: str
    ResultCode: int | str
    ResultDesc: str
    CallbackMetadata: StkCallbackMetadata | None = None


class StkCallbackBody(msgspec.Struct):
    stkCallback: StkCallback


class StkCallbackEnvelope(msgspec.Struct):
    Body: StkCallbackBody


_decoder = msgspec.json.Decoder(StkCallbackEnvelope)


def parse_stk_callback(raw: bytes) -> StkResult:
    check_json_bounds(raw, "body")
    try:
        callback = _decoder.decode(raw).Body.stkCallback
    except msgspec.DecodeError as fault:  # includes ValidationError
        raise ValidationError("Body.stkCallback", str(fault)) from fault
    items = {item.Name: item.Value for item in (callback.CallbackMetadata.Item if callback.CallbackMetadata else [])}
    return StkResult(
        merchant_request=callback.MerchantRequestID,
        checkout=callback.CheckoutRequestID,
        result_code=str(callback.ResultCode),
        result_desc=callback.ResultDesc,
        receipt=_text(items.get("MpesaReceiptNumber")),
        amount=whole_shillings(items.get("Amount"), "Body.stkCallback.CallbackMetadata.Amount"),
        phone=_text(items.get("PhoneNumber")),
        transaction_date=_text(items.get("TransactionDate")),
    )


def _text(value: object) -> str | None:
    if value is None or isinstance(value, bool | dict | list):
        return None
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
