"""Daraja's B2C Result body (docs/daraja.md#b2c-result), also used for its queue time-out notice
(#b2c-queue-time-out)."""

import msgspec

from domain.b2c.withdrawal import B2cResult
from entrypoints.http.daraja_result_parameters import ParameterList, by_key, decode_result, text_value
from entrypoints.http.daraja_values import whole_shillings


class B2cResultBody(msgspec.Struct):
    ResultCode: int | str
    ResultDesc: str
    OriginatorConversationID: str
    ConversationID: str
    ResultType: int | str | None = None
    TransactionID: str | None = None
    ResultParameters: ParameterList = None


class B2cResultEnvelope(msgspec.Struct):
    Result: B2cResultBody


_decoder = msgspec.json.Decoder(B2cResultEnvelope)


def parse_b2c_result(raw: bytes) -> B2cResult:
    result = decode_result(_decoder, raw).Result
    parameters = by_key(result.ResultParameters)
    return B2cResult(
        originator_conversation_id=result.OriginatorConversationID,
        conversation_id=result.ConversationID,
        result_code=str(result.ResultCode),
        result_desc=result.ResultDesc,
        receipt=text_value(parameters.get("TransactionReceipt")) or result.TransactionID,
        amount=whole_shillings(parameters.get("TransactionAmount"), "Result.ResultParameters.TransactionAmount"),
        recipient_name=text_value(parameters.get("ReceiverPartyPublicName")),
        completed_at=text_value(parameters.get("TransactionCompletedDateTime")),
    )
