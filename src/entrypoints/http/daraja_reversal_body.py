"""Daraja's Transaction Reversal Result body (docs/daraja.md#transaction-reversal), also its queue time-out notice.

Read in every form the public record shows: `ResultCode` a number or a string (`R000002`), `ResultParameter` a list
or a single object, `Amount` a number or a numeric string, `TransCompletedTime` a number or a string.
"""

import msgspec

from domain.reversals.reversal import ReversalResult
from domain.shared.errors import ValidationError
from entrypoints.http.daraja_b2c_body import ResultParameterItem, ResultParameterList
from entrypoints.http.daraja_values import whole_shillings
from entrypoints.protocol.json_bounds import check_json_bounds


class ReversalResultBody(msgspec.Struct):
    ResultCode: int | str
    ResultDesc: str = ""
    ResultType: int | str | None = None
    OriginatorConversationID: str | None = None
    ConversationID: str | None = None
    TransactionID: str | None = None  # the reversal's own receipt; a dummy one on a failure
    ResultParameters: ResultParameterList | list[ResultParameterItem] | None = None


class ReversalResultEnvelope(msgspec.Struct):
    Result: ReversalResultBody


_decoder = msgspec.json.Decoder(ReversalResultEnvelope)


def parse_reversal_result(raw: bytes) -> ReversalResult:
    check_json_bounds(raw, "body")
    try:
        result = _decoder.decode(raw).Result
    except msgspec.DecodeError as fault:  # includes ValidationError
        raise ValidationError("Result", str(fault)) from fault
    parameters = {item.Key: item.Value for item in _items(result.ResultParameters)}
    completed = parameters.get("TransCompletedTime")
    return ReversalResult(
        result_code=str(result.ResultCode).strip(),
        result_desc=result.ResultDesc,
        conversation_id=result.ConversationID,
        originator_conversation_id=result.OriginatorConversationID,
        transaction_id=result.TransactionID or None,
        original_transaction_id=_text(parameters.get("OriginalTransactionID")),
        amount=whole_shillings(parameters.get("Amount"), "Result.ResultParameters.Amount"),
        completed_at=str(completed) if isinstance(completed, str | int) and not isinstance(completed, bool) else None,
    )


def _items(parameters: ResultParameterList | list[ResultParameterItem] | None) -> list[ResultParameterItem]:
    if parameters is None:
        return []
    listed = parameters if isinstance(parameters, list) else parameters.ResultParameter
    return listed if isinstance(listed, list) else [listed]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
