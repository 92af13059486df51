"""Daraja's Account Balance Result body (docs/balances.md#the-result), also its queue time-out notice.

Read in every form the public record shows: `ResultType`/`ResultCode` as strings or numbers, `ResultParameter` as a
list or a single object (a failure carries only `BOCompletedTime`), `BOCompletedTime` as a string or a number.
"""

import msgspec

from domain.balances.account_balance import parse_balance_string
from domain.balances.balance_check import BalanceResult
from domain.shared.errors import ValidationError
from entrypoints.http.daraja_result_parameters import ParameterList, by_key, decode_result, time_text


class BalanceResultBody(msgspec.Struct):
    ResultCode: int | str
    ResultDesc: str = ""
    ResultType: int | str | None = None
    OriginatorConversationID: str | None = None
    ConversationID: str | None = None
    TransactionID: str | None = None  # a placeholder (…0000000): a balance query is no transaction
    ResultParameters: ParameterList = None


class BalanceResultEnvelope(msgspec.Struct):
    Result: BalanceResultBody


_decoder = msgspec.json.Decoder(BalanceResultEnvelope)


def parse_balance_result(raw: bytes) -> BalanceResult:
    result = decode_result(_decoder, raw).Result
    parameters = by_key(result.ResultParameters)
    code = str(result.ResultCode).strip()
    accounts = parse_balance_string(parameters.get("AccountBalance"))
    if code == "0" and "AccountBalance" in parameters and not accounts:
        raise ValidationError("Result.ResultParameters.AccountBalance", "no account could be read")
    return BalanceResult(
        result_code=code,
        result_desc=result.ResultDesc,
        originator_conversation_id=result.OriginatorConversationID,
        conversation_id=result.ConversationID,
        accounts=accounts,
        completed_at=time_text(parameters.get("BOCompletedTime")),
    )
