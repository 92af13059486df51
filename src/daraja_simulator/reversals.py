"""Daraja's Transaction Reversal (docs/daraja.md#transaction-reversal): accepted at once, then decided against the
ledger when the Result falls due. A paid push's receipt is reversed once (its amount leaves the Working Account it
went to); again is R000001, an unknown receipt or another amount R000002, an account that cannot cover it `1`, and a
wrong initiator or credential 2001. The Result is delivered as the original push's callback was: a push paid with
the "callback duplicated" amount has its reversal's Result posted twice, one with "callback lost" none."""

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from daraja_simulator import envelopes
from daraja_simulator import request_rules as rules
from daraja_simulator.balances import WORKING
from daraja_simulator.callbacks import Post
from daraja_simulator.clock import compact_timestamp, eat_now
from daraja_simulator.errors import invalid_b2c_token, invalid_field
from daraja_simulator.identifiers import conversation_id, legacy_originator_conversation_id, receipt_number
from daraja_simulator.ledger import REVERSAL_DONE, StkTransaction
from daraja_simulator.scenarios import Delivery
from daraja_simulator.state import SimulatorState

_RESULT_DESCRIPTIONS = {
    REVERSAL_DONE: envelopes.PROCESSED,
    "R000001": "The transaction has already been reversed.",
    "R000002": "The OriginalTransactionID is invalid.",
    "1": "The balance is insufficient for the transaction.",
    "2001": envelopes.INVALID_INITIATOR,
}
_REFERENCE = {
    "Key": "QueueTimeoutURL",
    "Value": "https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit",
}


@post("/mpesa/reversal/v1/request", status_code=200)
async def reversal(
    request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]
) -> Response[dict[str, object]]:
    config, ledger = simulator.config, simulator.ledger
    token, valid = simulator.token_from(request.headers.get("authorization"))
    if not valid:
        raise invalid_b2c_token(token)
    body = rules.json_object(await request.body())
    initiator = rules.text(body, "Initiator", max_length=100)
    credential = rules.text(body, "SecurityCredential", max_length=2048)
    rules.one_of(body, "CommandID", {"TransactionReversal"})
    receipt = rules.text(body, "TransactionID", max_length=20)
    ledger.count_reversal_request(receipt)
    amount = rules.whole_amount(body)
    receiver = rules.shortcode(body, "ReceiverParty")
    # Only Daraja's own spelling, with 11: the correct spelling is refused as missing.
    if rules.digits(body, "RecieverIdentifierType", max_length=2) != "11":
        raise invalid_field("RecieverIdentifierType")
    result_url = rules.url(body, "ResultURL")
    rules.url(body, "QueueTimeOutURL")
    rules.text(body, "Remarks", max_length=100, min_length=2)
    rules.optional_text(body, "Occasion", max_length=100)
    credentials_valid = initiator == config.initiator_name and simulator.credentials.credential_matches(
        credential, config.initiator_password
    )
    moment = eat_now()
    request_conversation_id = conversation_id(moment)
    originator_id = legacy_originator_conversation_id()
    original = ledger.paid_push(receipt)
    delivery = Delivery.ONCE if original is None else original.scenario.delivery

    def settle() -> list[Post]:
        answered = eat_now()
        code = ledger.reverse(receipt, amount) if credentials_valid else "2001"
        result: dict[str, Any] = {
            "ResultType": 0,
            "ResultCode": 0 if code == REVERSAL_DONE else (int(code) if code.isdigit() else code),
            "ResultDesc": _RESULT_DESCRIPTIONS[code],
            "OriginatorConversationID": originator_id,
            "ConversationID": request_conversation_id,
            # A failure carries a dummy receipt, never a real one.
            "TransactionID": receipt_number(answered) if code == REVERSAL_DONE else "SKE0000000",
        }
        if code == REVERSAL_DONE:
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "DebitAccountBalance", "Value": _working_balance(simulator)},
                    {"Key": "Amount", "Value": float(amount)},
                    {"Key": "TransCompletedTime", "Value": compact_timestamp(answered)},
                    {"Key": "OriginalTransactionID", "Value": receipt},
                    {"Key": "Charge", "Value": 0.0},
                    {"Key": "CreditPartyPublicName", "Value": _customer(original)},
                    {"Key": "DebitPartyPublicName", "Value": f"{receiver} - Simulated Merchant"},
                ]
            }
        result["ReferenceData"] = {"ReferenceItem": dict(_REFERENCE)}
        posted = Post.json(result_url, {"Result": result})
        return {Delivery.NEVER: [], Delivery.TWICE: [posted, posted]}.get(delivery, [posted])

    simulator.sender.schedule(config.callback_delay, settle)
    return Response(envelopes.b2c_accepted(request_conversation_id, originator_id), status_code=200)


def _customer(original: StkTransaction | None) -> str:
    return "" if original is None else envelopes.public_name(original.phone)


def _working_balance(simulator: SimulatorState) -> str:
    available = simulator.ledger.balances.available(WORKING)
    whole, cents = divmod(abs(available), 100)
    shown = f"{'-' if available < 0 else ''}{whole}.{cents:02d}"
    return f"{WORKING}|KES|{shown}|{shown}|0.00|0.00"
