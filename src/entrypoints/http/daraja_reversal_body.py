"""Daraja's Transaction Reversal Result body (docs/daraja.md#transaction-reversal), also its queue time-out notice.

Read in every form the public record shows: `ResultCode` a number or a string (`R000002`), `ResultParameter` a list
or a single object, `Amount` a number or a numeric string, `TransCompletedTime` a number or a string.
"""

import msgspec

from domain.reversals.reversal import ReversalResult
from entrypoints.http.daraja_result_parameters import ParameterList, by_key, decode_result, text_value, time_text
from entrypoints.http.daraja_values import whole_shillings


class ReversalResultBody(msgspec.Struct):
    ResultCode: int | str
    ResultDesc: str = ""
    ResultType: int | str | None = None
    OriginatorConversationID: str | None = None
    ConversationID: str | None = None
    TransactionID: str | None = None  # the reversal's own receipt; a dummy one on a failure
    ResultParameters: ParameterList = None


class ReversalResultEnvelope(msgspec.Struct):
    Result: ReversalResultBody


_decoder = msgspec.json.Decoder(ReversalResultEnvelope)


def parse_reversal_result(raw: bytes) -> ReversalResult:
    result = decode_result(_decoder, raw).Result
    parameters = by_key(result.ResultParameters)
    return ReversalResult(
        result_code=str(result.ResultCode).strip(),
        result_desc=result.ResultDesc,
        conversation_id=result.ConversationID,
        originator_conversation_id=result.OriginatorConversationID,
        transaction_id=result.TransactionID or None,
        original_transaction_id=text_value(parameters.get("OriginalTransactionID")),
        amount=whole_shillings(parameters.get("Amount"), "Result.ResultParameters.Amount"),
        completed_at=time_text(parameters.get("TransCompletedTime")),
    )
