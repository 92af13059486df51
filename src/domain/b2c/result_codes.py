"""What each B2C result code means for a withdrawal (docs/daraja.md#b2c-result-codes): the one dictionary the result
handler, the reconciler and the simulator share."""

from dataclasses import dataclass
from enum import StrEnum


class WithdrawalStatus(StrEnum):
    QUEUED = "queued"
    SUBMITTED = "submitted"
    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (WithdrawalStatus.SUCCESS, WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class B2cResultMeaning:
    status: WithdrawalStatus
    message: str


B2C_SUCCESS_CODE = "0"

_FAILED, _UNKNOWN = WithdrawalStatus.FAILED, WithdrawalStatus.TIMEOUT

B2C_RESULT_CODES: dict[str, B2cResultMeaning] = {
    "0": B2cResultMeaning(WithdrawalStatus.SUCCESS, "The money was sent to the customer."),
    "1": B2cResultMeaning(_FAILED, "The business's M-PESA payout account does not hold enough money."),
    "2": B2cResultMeaning(_FAILED, "The amount is below the M-PESA minimum for a withdrawal."),
    "3": B2cResultMeaning(_FAILED, "The amount is above the M-PESA maximum per transaction."),
    "4": B2cResultMeaning(_FAILED, "The withdrawal would exceed the customer's daily M-PESA limit."),
    "8": B2cResultMeaning(_FAILED, "The withdrawal would exceed the customer's maximum M-PESA balance."),
    "11": B2cResultMeaning(_FAILED, "The business's M-PESA payout account is inactive."),
    # A repeated OriginatorConversationID says nothing about how the first request ended: never call it failed.
    "15": B2cResultMeaning(_UNKNOWN, "M-PESA saw this withdrawal request twice; its outcome is being checked."),
    "17": B2cResultMeaning(_FAILED, "M-PESA had an internal failure and did not complete the withdrawal."),
    "18": B2cResultMeaning(_FAILED, "M-PESA refused the gateway's initiator credentials."),
    "20": B2cResultMeaning(_FAILED, "M-PESA could not identify the gateway's initiator."),
    "21": B2cResultMeaning(_FAILED, "The gateway's M-PESA initiator is not allowed to make payouts."),
    "24": B2cResultMeaning(_FAILED, "M-PESA found required fields missing from the request."),
    "25": B2cResultMeaning(_FAILED, "M-PESA found invalid parameters in the request."),
    "26": B2cResultMeaning(_FAILED, "M-PESA is busy; try again shortly."),
    "29": B2cResultMeaning(_FAILED, "M-PESA did not recognise the payout command."),
    "2001": B2cResultMeaning(_FAILED, "M-PESA refused the gateway's initiator credentials."),
    "2006": B2cResultMeaning(_FAILED, "The account's status does not allow this withdrawal."),
    "2028": B2cResultMeaning(_FAILED, "The business's M-PESA account is not allowed to make payouts."),
    "2040": B2cResultMeaning(_FAILED, "The recipient is not a registered M-PESA customer."),
    "8006": B2cResultMeaning(_FAILED, "The gateway's M-PESA initiator credentials are locked."),
    "SFC_IC0003": B2cResultMeaning(_FAILED, "The recipient's number is not an M-PESA number."),
}

_UNLISTED = B2cResultMeaning(_FAILED, "M-PESA did not complete the withdrawal.")

QUEUE_TIMEOUT_MESSAGE = "M-PESA timed out the withdrawal in its queue; its outcome is being checked, not sent again."
REJECTED_MESSAGE = "M-PESA refused the withdrawal request; no money was sent."
# A Transaction Status answer says a payout failed or expired but not why: no result code, this message.
NOT_COMPLETED_MESSAGE = "M-PESA reports that the withdrawal was not completed; no money was sent."


def b2c_result_meaning(code: str) -> B2cResultMeaning:
    """Only code 0 is ever money sent; an unlisted code is a failure, never a success."""
    return B2C_RESULT_CODES.get(code, _UNLISTED)
