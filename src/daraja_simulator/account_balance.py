"""Daraja's Account Balance query (docs/balances.md): accepted at once, answered at the ResultURL with the accounts
as they stand when the answer is due, in the shape of Safaricom's sample (`ResultType`/`ResultCode` as strings, the
balance string, `BOCompletedTime`, a placeholder `TransactionID`). Wrong initiator credentials give Daraja's `2001`
Result with `ResultParameter` as a single `BOCompletedTime` object."""

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from daraja_simulator import envelopes
from daraja_simulator import request_rules as rules
from daraja_simulator.callbacks import Post
from daraja_simulator.clock import compact_timestamp, eat_now
from daraja_simulator.errors import invalid_b2c_token, invalid_field
from daraja_simulator.identifiers import conversation_id, legacy_originator_conversation_id
from daraja_simulator.state import SimulatorState

IDENTIFIER_TYPES = frozenset({"1", "2", "4"})
_REFERENCE = {"Key": "QueueTimeoutURL", "Value": "https://internalsandbox.safaricom.co.ke/mpesa/abresults/v1/submit"}


@post("/mpesa/accountbalance/v1/query", status_code=200)
async def account_balance(
    request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]
) -> Response[dict[str, object]]:
    config, ledger = simulator.config, simulator.ledger
    token, valid = simulator.token_from(request.headers.get("authorization"))
    if not valid:
        raise invalid_b2c_token(token)
    body = rules.json_object(await request.body())
    initiator = rules.text(body, "Initiator", max_length=100)
    credential = rules.text(body, "SecurityCredential", max_length=2048)
    rules.one_of(body, "CommandID", {"AccountBalance"})
    rules.digits(body, "PartyA", min_length=5, max_length=12)
    if rules.digits(body, "IdentifierType", max_length=1) not in IDENTIFIER_TYPES:
        raise invalid_field("IdentifierType")
    rules.text(body, "Remarks", max_length=100, min_length=2)
    result_url = rules.url(body, "ResultURL")
    rules.url(body, "QueueTimeOutURL")
    credentials_valid = initiator == config.initiator_name and simulator.credentials.credential_matches(
        credential, config.initiator_password
    )
    moment = eat_now()
    query_conversation_id = conversation_id(moment)
    originator_id = legacy_originator_conversation_id()

    def settle() -> list[Post]:
        # Read when due, so payments and payouts settled meanwhile show.
        answered = eat_now()
        result: dict[str, Any] = {
            "ResultType": "0",
            "ResultCode": "0" if credentials_valid else 2001,
            "ResultDesc": envelopes.PROCESSED if credentials_valid else envelopes.INVALID_INITIATOR,
            "OriginatorConversationID": originator_id,
            "ConversationID": query_conversation_id,
            "TransactionID": f"{query_conversation_id[3:6].upper() or 'OA9'}0000000"[:10],
        }
        completed = {"Key": "BOCompletedTime", "Value": str(compact_timestamp(answered))}
        if credentials_valid:
            result["ResultParameters"] = {
                "ResultParameter": [{"Key": "AccountBalance", "Value": ledger.balances.balance_string()}, completed]
            }
        else:
            result["ResultType"] = 0
            result["ResultParameters"] = {"ResultParameter": {**completed, "Value": compact_timestamp(answered)}}
        result["ReferenceData"] = {"ReferenceItem": dict(_REFERENCE)}
        return [Post.json(result_url, {"Result": result})]

    simulator.sender.schedule(config.callback_delay, settle)
    return Response(envelopes.b2c_accepted(query_conversation_id, originator_id), status_code=200)
