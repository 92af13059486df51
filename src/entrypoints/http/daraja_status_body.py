"""Daraja's Transaction Status answer, posted to the status ResultURL (docs/daraja.md#transaction-status).

`Result.OriginatorConversationID` is the query's own id; the payout it reports on is named inside
`ResultParameters`, or failing that by the `Occasion` the gateway sent, echoed in `ReferenceData`.
"""

import msgspec

from domain.shared.errors import ValidationError
from domain.shared.transaction_status import TransactionStatusResult
from entrypoints.http.daraja_result_parameters import (
    ParameterList,
    ResultParameterItem,
    by_key,
    decode_result,
    text_value,
)
from entrypoints.http.daraja_values import whole_shillings


class StatusReferences(msgspec.Struct):
    ReferenceItem: list[ResultParameterItem] | ResultParameterItem = msgspec.field(default_factory=list)


class StatusResultBody(msgspec.Struct):
    ResultCode: int | str
    ResultDesc: str
    ResultParameters: ParameterList = None
    ReferenceData: StatusReferences | None = None


class StatusResultEnvelope(msgspec.Struct):
    Result: StatusResultBody


_decoder = msgspec.json.Decoder(StatusResultEnvelope)


def parse_transaction_status(raw: bytes) -> TransactionStatusResult:
    result = decode_result(_decoder, raw).Result
    try:
        return _status_result(result)
    except ValueError as fault:  # e.g. an empty ResultCode or a negative Amount
        raise ValidationError("Result", str(fault)) from fault


def _status_result(result: StatusResultBody) -> TransactionStatusResult:
    parameters = by_key(result.ResultParameters)
    references = by_key(result.ReferenceData.ReferenceItem if result.ReferenceData else None)
    return TransactionStatusResult(
        result_code=str(result.ResultCode),
        result_desc=result.ResultDesc,
        originator_conversation_id=text_value(parameters.get("OriginatorConversationID"))
        or text_value(references.get("Occasion")),
        status=text_value(parameters.get("TransactionStatus")),
        receipt=text_value(parameters.get("ReceiptNo")),
        amount=whole_shillings(parameters.get("Amount"), "Result.ResultParameters.Amount"),
        conversation_id=text_value(parameters.get("ConversationID")),
        finalised_time=None if parameters.get("FinalisedTime") is None else str(parameters["FinalisedTime"]),
    )
