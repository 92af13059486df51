"""Daraja's B2C Result body (docs/daraja.md#b2c-result), also used for its queue time-out notice
(#b2c-queue-time-out)."""

from typing import Any

import msgspec

from domain.b2c.withdrawal import B2cResult
from domain.shared.errors import ValidationError
from entrypoints.http.daraja_values import whole_shillings
from entrypoints.protocol.json_bounds import check_json_bounds


class ResultParameterItem(msgspec.Struct):
    Key: str
    Value: Any = None


class ResultParameterList(msgspec.Struct):
    # Daraja sends a list; a lone object is read too (docs/daraja.md).
    ResultParameter: list[ResultParameterItem] | ResultParameterItem = msgspec.field(default_factory=list)


class B2cResultBody(msgspec.Struct):
    ResultCode: int | str
    ResultDesc: str
    OriginatorConversationID: str
    ConversationID: str
    ResultType: int | str | None = None
    TransactionID: str | None = None
    # Safaricom wraps the items in {"ResultParameter": [...]}; mpesakit's schema has them as a bare list.
    ResultParameters: ResultParameterList | list[ResultParameterItem] | None = None


class B2cResultEnvelope(msgspec.Struct):
    Result: B2cResultBody


_decoder = msgspec.json.Decoder(B2cResultEnvelope)


def parse_b2c_result(raw: bytes) -> B2cResult:
    check_json_bounds(raw, "body")
    try:
        result = _decoder.decode(raw).Result
    except msgspec.DecodeError as fault:  # includes ValidationError
        raise ValidationError("Result", str(fault)) from fault
    parameters = {item.Key: item.Value for item in _items(result.ResultParameters)}
    return B2cResult(
        originator_conversation_id=result.OriginatorConversationID,
        conversation_id=result.ConversationID,
        result_code=str(result.ResultCode),
        result_desc=result.ResultDesc,
        receipt=_text(parameters.get("TransactionReceipt")) or result.TransactionID,
        amount=whole_shillings(parameters.get("TransactionAmount"), "Result.ResultParameters.TransactionAmount"),
        recipient_name=_text(parameters.get("ReceiverPartyPublicName")),
        completed_at=_text(parameters.get("TransactionCompletedDateTime")),
    )


def _items(parameters: ResultParameterList | list[ResultParameterItem] | None) -> list[ResultParameterItem]:
    if parameters is None:
        return []
    listed = parameters if isinstance(parameters, list) else parameters.ResultParameter
    return listed if isinstance(listed, list) else [listed]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
