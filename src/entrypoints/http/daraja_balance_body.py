"""Daraja's Account Balance Result body (docs/balances.md#the-result), also its queue time-out notice.

Read in every form the public record shows: `ResultType`/`ResultCode` as strings or numbers, `ResultParameter` as a
list or a single object (a failure carries only `BOCompletedTime`), `BOCompletedTime` as a string or a number.
"""

import msgspec

from domain.balances.account_balance import parse_balance_string
from domain.balances.balance_check import BalanceResult
from domain.shared.errors import ValidationError
from entrypoints.http.daraja_b2c_body import ResultParameterItem, ResultParameterList
from entrypoints.protocol.json_bounds import check_json_bounds


class BalanceResultBody(msgspec.Struct):
    ResultCode: int | str
    ResultDesc: str = ""
    ResultType: int | str | None = None
    OriginatorConversationID: str | None = None
    ConversationID: str | None = None
    TransactionID: str | None = None  # a placeholder (…0000000): a balance query is no transaction
    ResultParameters: ResultParameterList | list[ResultParameterItem] | None = None


class BalanceResultEnvelope(msgspec.Struct):
    Result: BalanceResultBody


_decoder = msgspec.json.Decoder(BalanceResultEnvelope)


def parse_balance_result(raw: bytes) -> BalanceResult:
    check_json_bounds(raw, "body")
    try:
        result = _decoder.decode(raw).Result
    except msgspec.DecodeError as fault:  # includes ValidationError
        raise ValidationError("Result", str(fault)) from fault
    parameters = {item.Key: item.Value for item in _items(result.ResultParameters)}
    completed = parameters.get("BOCompletedTime")
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
        completed_at=str(completed) if isinstance(completed, (str, int)) and not isinstance(completed, bool) else None,
    )


def _items(parameters: ResultParameterList | list[ResultParameterItem] | None) -> list[ResultParameterItem]:
    if parameters is None:
        return []
    listed = parameters if isinstance(parameters, list) else parameters.ResultParameter
    return listed if isinstance(listed, list) else [listed]
