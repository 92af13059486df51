"""The simulator's one scenario table: what Daraja does with a request, chosen by the request's `Amount`.

Every outcome a gateway must survive can be produced on purpose and repeated exactly: send the amount in the
table and the simulator answers, settles and calls back as described. Amounts not listed succeed. The table
is data (`SCENARIOS`) so tests iterate it and `markdown_table()` renders it for the docs, which is where it
is documented; keep the descriptions true to what `app.py` does.

Rules that hold for every row:

* Validation (token, JSON, fields, STK password) runs first: a request that breaks a rule gets Daraja's
  synchronous error and no scenario at all.
* "Settles" means the ledger records the final outcome, one `SIM_CALLBACK_DELAY` after the request was
  accepted (after `SIM_SLOW_SECONDS` + `SIM_CALLBACK_DELAY` when the answer is slow). From then STK Query
  and Transaction Status report it, whether or not a callback was posted.
* B2C: a wrong `InitiatorName` or a `SecurityCredential` that does not decrypt to the initiator password
  is accepted synchronously and ends exactly as the "invalid initiator" row, whatever the amount
  (real Daraja checks the credential after accepting the request).
"""

from dataclasses import dataclass
from enum import StrEnum


class Api(StrEnum):
    STK_PUSH = "STK push"
    B2C = "B2C payment"


class Answer(StrEnum):
    """How the simulator answers the request itself."""

    ACCEPTED = "accepted"
    # Accepted and processed, but the HTTP answer comes SIM_SLOW_SECONDS late: lets the gateway time out on a
    # request whose outcome is unknown and must then be settled by the callback, never by sending it again.
    SLOW = "slow"
    # HTTP 500 500.003.1001: nothing recorded, nothing settles, no callback.
    SERVER_ERROR = "server error"


class Delivery(StrEnum):
    """What the simulator POSTs once the outcome settles."""

    ONCE = "once"
    NEVER = "never"
    TWICE = "twice"  # the identical body twice in a row
    QUEUE_TIMEOUT = "queue time-out"  # to QueueTimeOutURL instead of ResultURL (B2C only)


@dataclass(frozen=True, slots=True)
class Scenario:
    api: Api
    amount: int | None  # None: every amount the table does not list
    name: str
    description: str
    result_code: int | None  # None when nothing is ever settled
    result_desc: str = ""
    answer: Answer = Answer.ACCEPTED
    delivery: Delivery = Delivery.ONCE

    @property
    def money_moves(self) -> bool:
        return self.result_code == 0 and self.delivery is not Delivery.QUEUE_TIMEOUT


_PROCESSED = "The service request is processed successfully."
_INSUFFICIENT = "The balance is insufficient for the transaction."
_INVALID_INITIATOR = "The initiator information is invalid."
# Simulator-only: Daraja publishes no QueueTimeOutURL payload (docs/daraja.md#b2c-queue-time-out); code and text are
# invented.
_QUEUE_TIMED_OUT = "The service request has timed out."

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        api=Api.STK_PUSH,
        amount=None,
        name="success",
        description=(
            "Customer enters the PIN: callback ResultCode 0 with Amount, MpesaReceiptNumber, Balance (no Value), "
            "TransactionDate and PhoneNumber."
        ),
        result_code=0,
        result_desc=_PROCESSED,
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=1032,
        name="cancelled by user",
        description="Customer dismisses the prompt: callback ResultCode 1032.",
        result_code=1032,
        result_desc="Request cancelled by user",
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=1037,
        name="no answer from user",
        description="Phone off or prompt ignored: callback ResultCode 1037.",
        result_code=1037,
        result_desc="DS timeout user cannot be reached",
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=1019,
        name="transaction expired",
        description="Prompt not completed in time: callback ResultCode 1019.",
        result_code=1019,
        result_desc="Transaction has expired",
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=9001,
        name="insufficient funds",
        description="Customer's balance too low: callback ResultCode 1.",
        result_code=1,
        result_desc=_INSUFFICIENT,
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=2001,
        name="wrong PIN",
        description="Customer enters a wrong PIN: callback ResultCode 2001.",
        result_code=2001,
        result_desc=_INVALID_INITIATOR,
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=9100,
        name="callback lost",
        description='Customer pays but no callback is ever sent; STK Query reports ResultCode "0" once settled.',
        result_code=0,
        result_desc=_PROCESSED,
        delivery=Delivery.NEVER,
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=9200,
        name="callback duplicated",
        description="Customer pays; the identical success callback is sent twice.",
        result_code=0,
        result_desc=_PROCESSED,
        delivery=Delivery.TWICE,
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=9300,
        name="Daraja slow",
        description="The accepted answer comes after SIM_SLOW_SECONDS; then the success callback as usual.",
        result_code=0,
        result_desc=_PROCESSED,
        answer=Answer.SLOW,
    ),
    Scenario(
        api=Api.STK_PUSH,
        amount=9500,
        name="Daraja fails",
        description='HTTP 500 errorCode 500.003.1001 "Internal Server Error"; nothing processed, no callback, '
        "no subscriber lock.",
        result_code=None,
        answer=Answer.SERVER_ERROR,
    ),
    Scenario(
        api=Api.B2C,
        amount=None,
        name="success",
        description="Paid: Result ResultCode 0 with TransactionAmount, TransactionReceipt, ReceiverPartyPublicName, "
        "TransactionCompletedDateTime, the B2C funds keys and B2CRecipientIsRegisteredCustomer.",
        result_code=0,
        result_desc=_PROCESSED,
    ),
    Scenario(
        api=Api.B2C,
        amount=9001,
        name="insufficient balance",
        description="Utility account too low: Result ResultCode 1.",
        result_code=1,
        result_desc=_INSUFFICIENT,
    ),
    Scenario(
        api=Api.B2C,
        amount=9201,
        name="invalid initiator",
        description="Result ResultCode 2001, as for a wrong InitiatorName or SecurityCredential at any amount.",
        result_code=2001,
        result_desc=_INVALID_INITIATOR,
    ),
    Scenario(
        api=Api.B2C,
        amount=9040,
        name="receiver not registered",
        description="Recipient is not a registered M-PESA customer: Result ResultCode 2040.",
        result_code=2040,
        result_desc=(
            "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service."
        ),
    ),
    Scenario(
        api=Api.B2C,
        amount=9408,
        name="queue time-out",
        description=(
            'Nothing paid; a Result with ResultCode 1 "The service request has timed out." (simulator-only) '
            'goes to QueueTimeOutURL, nothing to ResultURL; Transaction Status then reports "Expired".'
        ),
        result_code=1,
        result_desc=_QUEUE_TIMED_OUT,
        delivery=Delivery.QUEUE_TIMEOUT,
    ),
    Scenario(
        api=Api.B2C,
        amount=9100,
        name="result lost",
        description='Paid but no Result is ever sent; Transaction Status reports "Completed" once settled.',
        result_code=0,
        result_desc=_PROCESSED,
        delivery=Delivery.NEVER,
    ),
    Scenario(
        api=Api.B2C,
        amount=9200,
        name="result duplicated",
        description="Paid; the identical success Result is sent twice.",
        result_code=0,
        result_desc=_PROCESSED,
        delivery=Delivery.TWICE,
    ),
    Scenario(
        api=Api.B2C,
        amount=9300,
        name="Daraja slow",
        description="The accepted answer comes after SIM_SLOW_SECONDS; then the success Result as usual.",
        result_code=0,
        result_desc=_PROCESSED,
        answer=Answer.SLOW,
    ),
    Scenario(
        api=Api.B2C,
        amount=9500,
        name="Daraja fails",
        description='HTTP 500 errorCode 500.003.1001 "Internal Server Error"; nothing processed, no Result; the same '
        "OriginatorConversationID may be sent again.",
        result_code=None,
        answer=Answer.SERVER_ERROR,
    ),
)


def _lookup(api: Api, amount: int) -> Scenario:
    rows = [row for row in SCENARIOS if row.api is api]
    exact = [row for row in rows if row.amount == amount]
    return exact[0] if exact else next(row for row in rows if row.amount is None)


def stk_scenario(amount: int) -> Scenario:
    return _lookup(Api.STK_PUSH, amount)


def b2c_scenario(amount: int) -> Scenario:
    return _lookup(Api.B2C, amount)


# Stands in for the amount's scenario when the B2C initiator credentials are wrong.
INVALID_INITIATOR = next(row for row in SCENARIOS if row.api is Api.B2C and row.amount == 9201)
# What a payout the Utility Account cannot cover (its amount and fee) gets, whatever its amount's scenario.
UTILITY_TOO_LOW = next(row for row in SCENARIOS if row.api is Api.B2C and row.amount == 9001)


def markdown_table() -> str:
    lines = ["| API | Amount (KES) | Scenario | What the simulator does |", "|---|---|---|---|"]
    for row in SCENARIOS:
        amount = "any other" if row.amount is None else str(row.amount)
        lines.append(f"| {row.api} | {amount} | {row.name} | {row.description} |")
    return "\n".join(lines) + "\n"
