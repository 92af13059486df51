"""What Daraja's Transaction Reversal Result codes mean (docs/daraja.md#transaction-reversal)."""

REVERSED_CODE = "0"
ALREADY_REVERSED_CODE = "R000001"
UNKNOWN_RECEIPT_CODE = "R000002"
INSUFFICIENT_FUNDS_CODE = "1"

_MESSAGES = {
    REVERSED_CODE: "The payment was reversed and the customer refunded.",
    ALREADY_REVERSED_CODE: "M-PESA says this payment was reversed already.",
    UNKNOWN_RECEIPT_CODE: "M-PESA does not know this receipt on the shortcode.",
    INSUFFICIENT_FUNDS_CODE: "The shortcode's account cannot cover the reversal.",
    "11": "The shortcode is inactive or in an invalid state.",
    "21": "The API operator lacks the Org Reversals Initiator role.",
    "2001": "The initiator's name or security credential is invalid.",
    "2006": "Declined by an account rule (account inactive).",
    "2028": "The shortcode's product assignment does not permit reversals.",
    "8006": "The initiator's security credential is locked.",
}
_OTHER = "M-PESA did not reverse the payment."


def reversal_result_message(code: str) -> str:
    return _MESSAGES.get(code, _OTHER)
