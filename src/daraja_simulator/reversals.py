"""Daraja's Transaction Reversal (docs/daraja.md#transaction-reversal): accepted at once, then decided against the
ledger when the Result falls due. A paid push's receipt is reversed once (its amount leaves the Working Account it
went to), and so is a completed C2B payment's TransID (its amount leaves the shortcode's account); again is R000001,
an unknown receipt or another amount R000002, an account that cannot cover it `1`, and a wrong initiator or
credential 2001. The Result is delivered as the original payment's callback was: a push paid with the "callback
duplicated" amount, or a C2B payment made with the duplicate_confirmation scenario, has its reversal's Result posted
twice. Two amounts script lost outcomes (below); Transaction Status, asked with the reversal's
OriginatorConversationID, reports each reversal as it stands."""

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from daraja_simulator import envelopes
from daraja_simulator import request_rules as rules
from daraja_simulator.balances import WORKING
from daraja_simulator.c2b_ledger import C2bPaymentRecord, C2bScenario
from daraja_simulator.callbacks import Post
from daraja_simulator.clock import compact_timestamp, eat_now
from daraja_simulator.errors import invalid_b2c_token, invalid_field
from daraja_simulator.identifiers import conversation_id, legacy_originator_conversation_id, receipt_number
from daraja_simulator.ledger import REVERSAL_DONE, SimulatedReversal, StkTransaction
from daraja_simulator.scenarios import Delivery
from daraja_simulator.state import SimulatorState

# Reversals of payments of these amounts (STK payments of them succeed as usual) script what a gateway must survive:
# reversed but no Result posted, or expired in Daraja's queue (a QueueTimeOutURL notice, nothing reversed). Either
# way Transaction Status then reports how it ended ("Completed", "Expired").
RESULT_LOST_AMOUNT = 9101
QUEUE_TIMEOUT_AMOUNT = 9408

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
    queue_url = rules.url(body, "QueueTimeOutURL")
    rules.text(body, "Remarks", max_length=100, min_length=2)
    rules.optional_text(body, "Occasion", max_length=100)
    credentials_valid = initiator == config.initiator_name and simulator.credentials.credential_matches(
        credential, config.initiator_password
    )
    moment = eat_now()
    request_conversation_id = conversation_id(moment)
    originator_id = legacy_originator_conversation_id()
    recorded = SimulatedReversal(
        originator_id, request_conversation_id, receiver, receipt, amount, receipt_number(moment), moment
    )
    ledger.record_reversal(recorded)
    original = ledger.paid_push(receipt)
    c2b_original = simulator.c2b.paid(receipt) if original is None else None
    delivery = Delivery.ONCE if original is None else original.scenario.delivery
    if c2b_original is not None and c2b_original.scenario is C2bScenario.DUPLICATE_CONFIRMATION:
        delivery = Delivery.TWICE

    def settle() -> list[Post]:
        answered = eat_now()
        if amount == QUEUE_TIMEOUT_AMOUNT:
            recorded.timed_out, recorded.settled_at = True, answered
            return [Post.json(queue_url, _queue_timeout(recorded))]
        code = _reverse(simulator, receipt, amount) if credentials_valid else "2001"
        recorded.result_code, recorded.settled_at = code, answered
        result: dict[str, Any] = {
            "ResultType": 0,
            "ResultCode": 0 if code == REVERSAL_DONE else (int(code) if code.isdigit() else code),
            "ResultDesc": _RESULT_DESCRIPTIONS[code],
            "OriginatorConversationID": originator_id,
            "ConversationID": request_conversation_id,
            # A failure carries a dummy receipt, never a real one.
            "TransactionID": recorded.receipt if code == REVERSAL_DONE else "SKE0000000",
        }
        if code == REVERSAL_DONE:
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "DebitAccountBalance", "Value": _working_balance(simulator)},
                    {"Key": "Amount", "Value": float(amount)},
                    {"Key": "TransCompletedTime", "Value": compact_timestamp(answered)},
                    {"Key": "OriginalTransactionID", "Value": receipt},
                    {"Key": "Charge", "Value": 0.0},
                    {"Key": "CreditPartyPublicName", "Value": _customer(original, c2b_original)},
                    {"Key": "DebitPartyPublicName", "Value": f"{receiver} - Simulated Merchant"},
                ]
            }
        result["ReferenceData"] = {"ReferenceItem": dict(_REFERENCE)}
        posted = Post.json(result_url, {"Result": result})
        if amount == RESULT_LOST_AMOUNT:
            return []
        return {Delivery.NEVER: [], Delivery.TWICE: [posted, posted]}.get(delivery, [posted])

    simulator.sender.schedule(config.callback_delay, settle)
    return Response(envelopes.b2c_accepted(request_conversation_id, originator_id), status_code=200)


def reversal_status_parameters(reversal: SimulatedReversal) -> list[dict[str, Any]]:
    """What Transaction Status reports of a reversal, in the shape it reports a payout (envelopes)."""
    completed = reversal.status == "Completed"
    finalised = (
        {"Key": "FinalisedTime", "Value": compact_timestamp(reversal.settled_at)}
        if reversal.settled_at is not None
        else {"Key": "FinalisedTime"}
    )
    return [
        {"Key": "DebitPartyName", "Value": f"{reversal.receiver} - Simulated Merchant"},
        {"Key": "OriginatorConversationID", "Value": reversal.originator_conversation_id},
        {"Key": "InitiatedTime", "Value": compact_timestamp(reversal.initiated_at)},
        {"Key": "DebitAccountType", "Value": WORKING},
        {"Key": "ReasonType", "Value": "Transaction Reversal via API"},
        {"Key": "TransactionStatus", "Value": reversal.status},
        finalised,
        {"Key": "Amount", "Value": reversal.amount},
        {"Key": "ConversationID", "Value": reversal.conversation_id},
        {"Key": "ReceiptNo", "Value": reversal.receipt if completed else ""},
    ]


def _queue_timeout(reversal: SimulatedReversal) -> dict[str, Any]:
    """Simulator-only shape, as for B2C (docs/daraja.md#b2c-queue-time-out has no published sample)."""
    return {
        "Result": {
            "ResultType": 0,
            "ResultCode": 1,
            "ResultDesc": "The service request has timed out.",
            "OriginatorConversationID": reversal.originator_conversation_id,
            "ConversationID": reversal.conversation_id,
        }
    }


def _reverse(simulator: SimulatorState, receipt: str, amount: int) -> str:
    """A receipt no push was paid with may be a C2B payment's TransID; anything else is the STK ledger's to judge."""
    if simulator.ledger.paid_push(receipt) is None:
        code = simulator.c2b.reverse(receipt, amount)
        if code is not None:
            return code
    return simulator.ledger.reverse(receipt, amount)


def _customer(original: StkTransaction | None, c2b_original: C2bPaymentRecord | None) -> str:
    if c2b_original is not None:
        return envelopes.public_name(c2b_original.msisdn)
    return "" if original is None else envelopes.public_name(original.phone)


def _working_balance(simulator: SimulatorState) -> str:
    available = simulator.ledger.balances.available(WORKING)
    whole, cents = divmod(abs(available), 100)
    shown = f"{'-' if available < 0 else ''}{whole}.{cents:02d}"
    return f"{WORKING}|KES|{shown}|{shown}|0.00|0.00"
