"""Daraja's Transaction Status answer, posted to the status ResultURL (docs/daraja.md#transaction-status).

`Result.OriginatorConversationID` is the query's own id; the payout it reports on is named inside
`ResultParameters`, or failing that by the `Occasion` the gateway sent, echoed in `ReferenceData`.
"""

from typing import Any

import msgspec

from domain.shared.errors import ValidationError
from domain.shared.transaction_status import TransactionStatusResult
from entrypoints.http.daraja_values import whole_shillings
from entrypoints.protocol.json_bounds import check_json_bounds


class KeyValue(msgspec.Struct):
    Key: str
    Value: Any = None


class StatusParameters(msgspec.Struct):
    ResultParameter: list[KeyValue] | KeyValue = msgspec.field(default_factory=list)


class StatusReferences(msgspec.Struct):
    ReferenceItem: list[KeyValue] | KeyValue = msgspec.field(default_factory=list)


class StatusResultBody(msgspec.Struct):
    ResultCode: int | str
    ResultDesc: str
    ResultParameters: StatusParameters | list[KeyValue] | None = None  # a bare list read too, as for B2C
    ReferenceData: StatusReferences | None = None


class StatusResultEnvelope(msgspec.Struct):
    Result: StatusResultBody


_decoder = msgspec.json.Decoder(StatusResultEnvelope)


def parse_transaction_status(raw: bytes) -> TransactionStatusResult:
    check_json_bounds(raw, "body")
    try:
        result = _decoder.decode(raw).Result
    except msgspec.DecodeError as fault:  # includes ValidationError
        raise ValidationError("Result", str(fault)) from fault
    try:
        return _status_result(result)
    except ValueError as fault:  # e.g. an empty ResultCode or a negative Amount
        raise ValidationError("Result", str(fault)) from fault


def _status_result(result: StatusResultBody) -> TransactionStatusResult:
    listed = result.ResultParameters
    parameters = _by_key(listed if isinstance(listed, list) else listed.ResultParameter if listed else [])
    references = _by_key(result.ReferenceData.ReferenceItem if result.ReferenceData else [])
    return TransactionStatusResult(
        result_code=str(result.ResultCode),
        result_desc=result.ResultDesc,
        originator_conversation_id=_text(parameters.get("OriginatorConversationID"))
        or _text(references.get("Occasion")),
        status=_text(parameters.get("TransactionStatus")),
        receipt=_text(parameters.get("ReceiptNo")),
        amount=whole_shillings(parameters.get("Amount"), "Result.ResultParameters.Amount"),
        conversation_id=_text(parameters.get("ConversationID")),
        finalised_time=None if parameters.get("FinalisedTime") is None else str(parameters["FinalisedTime"]),
    )


def _by_key(items: list[KeyValue] | KeyValue) -> dict[str, Any]:
    return {item.Key: item.Value for item in (items if isinstance(items, list) else [items])}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
