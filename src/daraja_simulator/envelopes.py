"""The JSON bodies Daraja answers with and posts back, field for field as docs/daraja.md shows them: PascalCase,
ResultCode a number in callbacks and a string in synchronous answers, metadata as Name/Value or Key/Value
lists that callers must index by name."""

from datetime import datetime
from typing import Any

from daraja_simulator.body_forms import BodyForms
from daraja_simulator.clock import b2c_completed_time, compact_timestamp
from daraja_simulator.ledger import PAYOUT_FEE_CENTS, Funds, Payout, StkTransaction

ACCEPTED_STK = "Success. Request accepted for processing"
ACCEPTED_B2C = "Accept the service request successfully."
QUERY_ACCEPTED = "The service request has been accepted successfully"
PROCESSED = "The service request is processed successfully."
INVALID_INITIATOR = "The initiator information is invalid."
# Simulator-only: Daraja's answer for an unknown transaction is not documented; code and text are invented.
TRANSACTION_NOT_FOUND_CODE = 404
TRANSACTION_NOT_FOUND = "The transaction could not be found"

# What real B2C results carry in ReferenceData: Safaricom's own internal URL, not the caller's.
_INTERNAL_QUEUE_REFERENCE = {
    "Key": "QueueTimeoutURL",
    "Value": "https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit",
}
_REASON_TYPES = {
    "SalaryPayment": "Salary Payment via API",
    "BusinessPayment": "Business Payment to Customer via API",
    "PromotionPayment": "Promotion Payment via API",
}
# Recipients get a stable made-up registered name, so ReceiverPartyPublicName looks like the real thing.
_NAMES = ("JOHN DOE", "JANE WANJIKU", "PETER OTIENO", "MARY AKINYI", "DAVID KIPCHOGE", "GRACE MUTHONI")


def public_name(msisdn: str) -> str:
    return f"{msisdn} - {_NAMES[int(msisdn) % len(_NAMES)]}"


def response_code(forms: BodyForms) -> str | int:
    return 0 if forms.response_code == "number" else "0"


def stk_accepted(transaction: StkTransaction, forms: BodyForms) -> dict[str, object]:
    return {
        "MerchantRequestID": transaction.merchant_request_id,
        "CheckoutRequestID": transaction.checkout_request_id,
        "ResponseCode": response_code(forms),
        "ResponseDescription": ACCEPTED_STK,
        "CustomerMessage": ACCEPTED_STK,
    }


def stk_callback(transaction: StkTransaction, receipt: str, moment: datetime, forms: BodyForms) -> dict[str, Any]:
    scenario = transaction.scenario
    callback: dict[str, Any] = {
        "MerchantRequestID": transaction.merchant_request_id,
        "CheckoutRequestID": transaction.checkout_request_id,
        "ResultCode": scenario.result_code,
        "ResultDesc": scenario.result_desc,
    }
    if scenario.result_code == 0:  # metadata only ever comes with success
        items: list[dict[str, Any]] = [
            {"Name": "Amount", "Value": _amount(transaction.amount, forms)},
            {"Name": "MpesaReceiptNumber", "Value": receipt},
            {"Name": "Balance"},  # real callbacks often carry it without a Value
            {"Name": "TransactionDate", "Value": compact_timestamp(moment)},
            {"Name": "PhoneNumber", "Value": int(transaction.phone)},
        ]
        if forms.balance_item == "absent":
            items = [item for item in items if item["Name"] != "Balance"]
        callback["CallbackMetadata"] = {"Item": items}
    return {"Body": {"stkCallback": callback}}


def stk_query_final(transaction: StkTransaction, forms: BodyForms) -> dict[str, object]:
    return {
        "ResponseCode": response_code(forms),
        "ResponseDescription": QUERY_ACCEPTED,
        "MerchantRequestID": transaction.merchant_request_id,
        "CheckoutRequestID": transaction.checkout_request_id,
        "ResultCode": str(transaction.scenario.result_code),
        "ResultDesc": transaction.scenario.result_desc,
    }


def b2c_accepted(
    conversation_id: str, originator_conversation_id: str, forms: BodyForms | None = None
) -> dict[str, object]:
    """Also the synchronous answer to a Transaction Status query, which keeps Safaricom's "0" (forms None)."""
    return {
        "ConversationID": conversation_id,
        "OriginatorConversationID": originator_conversation_id,
        "ResponseCode": response_code(forms) if forms is not None else "0",
        "ResponseDescription": ACCEPTED_B2C,
    }


def b2c_result(payout: Payout, funds: Funds, moment: datetime, forms: BodyForms) -> dict[str, Any]:
    scenario = payout.scenario
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": scenario.result_code,
        "ResultDesc": scenario.result_desc,
        "OriginatorConversationID": payout.originator_conversation_id,
        "ConversationID": payout.conversation_id,
        "TransactionID": payout.receipt,  # present on failures too
    }
    if scenario.result_code == 0:
        parameters: list[dict[str, Any]] = [
            {"Key": "TransactionAmount", "Value": _amount(payout.amount, forms)},
            {"Key": "TransactionReceipt", "Value": payout.receipt},
            {"Key": "ReceiverPartyPublicName", "Value": public_name(payout.recipient)},
            {"Key": "TransactionCompletedDateTime", "Value": b2c_completed_time(moment)},
            {"Key": "B2CUtilityAccountAvailableFunds", "Value": funds.utility},
            {"Key": "B2CWorkingAccountAvailableFunds", "Value": funds.working},
            {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
            {"Key": "B2CChargesPaidAccountAvailableFunds", "Value": funds.charges_paid},
        ]
        if forms.b2c_parameters == "bare_list":
            result["ResultParameters"] = parameters
        elif forms.b2c_parameters == "single_object":
            # One object holds one parameter: the amount; the receipt is left to TransactionID.
            result["ResultParameters"] = {"ResultParameter": parameters[0]}
        else:
            result["ResultParameters"] = {"ResultParameter": parameters}
    result["ReferenceData"] = {"ReferenceItem": dict(_INTERNAL_QUEUE_REFERENCE)}
    return {"Result": result}


def b2c_queue_timeout(payout: Payout) -> dict[str, Any]:
    """Simulator-only shape (docs/daraja.md#b2c-queue-time-out has no published sample): the Result envelope, no
    TransactionID."""
    return {
        "Result": {
            "ResultType": 0,
            "ResultCode": payout.scenario.result_code,
            "ResultDesc": payout.scenario.result_desc,
            "OriginatorConversationID": payout.originator_conversation_id,
            "ConversationID": payout.conversation_id,
            "ReferenceData": {"ReferenceItem": dict(_INTERNAL_QUEUE_REFERENCE)},
        }
    }


def transaction_status_result(
    *,
    originator_conversation_id: str,
    conversation_id: str,
    transaction_id: str,
    occasion: str,
    payout: Payout | None,
    credentials_valid: bool,
    forms: BodyForms,
    found: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Result posted for a Transaction Status query.

    `OriginatorConversationID`/`ConversationID` are the query's own (as in its synchronous answer); the payout
    it found is named inside ResultParameters by its OriginatorConversationID, ConversationID and ReceiptNo,
    and ReferenceData echoes the query's Occasion, as real Transaction Status results do. `found` is what to
    report of a transaction that is not a payout (a reversal).
    """
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": PROCESSED,
        "OriginatorConversationID": originator_conversation_id,
        "ConversationID": conversation_id,
        "TransactionID": transaction_id,
    }
    if not credentials_valid:
        result.update(ResultCode=2001, ResultDesc=INVALID_INITIATOR)
    elif found is not None:
        result["ResultParameters"] = {"ResultParameter": found}
    elif payout is None:
        result.update(ResultCode=TRANSACTION_NOT_FOUND_CODE, ResultDesc=TRANSACTION_NOT_FOUND)
    else:
        result["ResultParameters"] = {"ResultParameter": _status_parameters(payout, forms)}
    result["ReferenceData"] = {"ReferenceItem": {"Key": "Occasion", "Value": occasion}}
    return {"Result": result}


def _status_parameters(payout: Payout, forms: BodyForms) -> list[dict[str, Any]]:

    def value(number: int) -> int | str:
        # Strings in Safaricom's sample ("300", "20180223054112"); numbers in other clients' fixtures.
        return str(number) if forms.status_values == "text" else number

    completed = payout.status == "Completed"
    finalised = (
        {"Key": "FinalisedTime", "Value": value(compact_timestamp(payout.settled_at))}
        if payout.settled_at is not None
        else {"Key": "FinalisedTime"}
    )
    charges = f"Fee For B2C Payment|KES|{PAYOUT_FEE_CENTS / 100:.2f}" if completed else ""
    return [
        {"Key": "DebitPartyName", "Value": f"{payout.party_a} - Daraja Simulator"},
        {"Key": "CreditPartyName", "Value": public_name(payout.recipient)},
        {"Key": "OriginatorConversationID", "Value": payout.originator_conversation_id},
        {"Key": "InitiatedTime", "Value": value(compact_timestamp(payout.initiated_at))},
        {"Key": "DebitAccountType", "Value": "Utility Account"},
        {"Key": "DebitPartyCharges", "Value": charges},
        {"Key": "TransactionReason"},
        {"Key": "ReasonType", "Value": _REASON_TYPES.get(payout.command_id, "Business Payment to Customer via API")},
        {"Key": "TransactionStatus", "Value": payout.status},
        finalised,
        {"Key": "Amount", "Value": value(payout.amount)},
        {"Key": "ConversationID", "Value": payout.conversation_id},
        {"Key": "ReceiptNo", "Value": payout.receipt},
    ]


def _amount(shillings: int, forms: BodyForms) -> int | float:
    return float(shillings) if forms.amount == "decimal" else shillings
