"""What a client is sent of each record, said once: the payment, withdrawal and C2B views as msgspec Structs.

The domain builds the views (`Payment.view()`, `Withdrawal.view()`, `PaymentRequest.view()`, `C2bPayment.view()`)
as plain dicts, for it knows no msgspec; these Structs are their one declaration of shape. The AsyncAPI document's
payload schemas are generated from them (`entrypoints.protocol.asyncapi`), and tests/docs/test_client_views.py checks
the domain's views of records in every state against that generated schema, field for field, so a field added to a
view and not here, or here and not to the view, fails it.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from domain.b2c.result_codes import WithdrawalStatus
from domain.c2b.confirmation import PaymentMatch
from domain.c2b.payer import PayerForm
from domain.c2b.payment_request import AmountRule, RequestStatus
from domain.stk.result_codes import PaymentStatus

Moment = Annotated[datetime, Meta(tz=True, description="ISO 8601, UTC, millisecond precision.")]
Msisdn = Annotated[str, Meta(pattern=r"^254[17][0-9]{8}$", description="The phone, normalised: 2547… or 2541….")]
Shillings = Annotated[int, Meta(ge=1, description="Whole Kenyan shillings.")]


def note(text: str) -> Any:
    """A field's description in the generated schema."""
    return Meta(description=text)


_note = note

# ---- The payment and withdrawal as every client sees them (Payment.view(), Withdrawal.view()).


class PaymentView(msgspec.Struct, forbid_unknown_fields=True):
    """An STK payment, in replies and updates alike. Only `pending` ever changes."""

    id: Annotated[str, _note("The gateway's payment id.")]
    checkout: Annotated[str | None, _note("Daraja's CheckoutRequestID; null until Daraja answers the push.")]
    merchant_request: Annotated[str | None, _note("Daraja's MerchantRequestID.")]
    status: Annotated[PaymentStatus, _note("pending until M-PESA's result; then final.")]
    phone: Msisdn
    amount: Shillings
    description: Annotated[str, _note("As stored: the full description (Daraja was sent the first 13 characters).")]
    created_at: Moment
    updated_at: Moment
    result_code: Annotated[str | None, _note('M-PESA\'s ResultCode once final; "0" is the only success.')]
    result_desc: Annotated[str | None, _note("M-PESA's ResultDesc once final.")]
    receipt: Annotated[str | None, _note("On success: the M-PESA receipt number.")]
    transaction_date: Annotated[str | None, _note("On success: Daraja's TransactionDate (YYYYMMDDHHmmss).")]
    outcome_unknown: Annotated[
        bool, _note("true while Daraja's answer to the push was lost: the callback will decide it.")
    ]
    message: Annotated[str | None, _note("A sentence for the result code, fit to show a customer.")]
    reference: Annotated[str | None, _note("The merchant's reference from the request; null when none was given.")]
    metadata: Annotated[
        dict[str, str | int | float | bool | None] | None,
        _note("The merchant's metadata from the request, as given; null when none was given."),
    ]
    reversal_id: Annotated[
        str | None,
        _note("The reversal that refunded this payment (docs/reversals.md); null unless M-PESA reversed it."),
    ]
    version: Annotated[
        int,
        Meta(
            ge=0,
            description=(
                "Counts the record's stored changes: of two states of one record (in updates and replies alike) "
                "the higher version is the newer. Updates never go back to a lower one (see the update message)."
            ),
        ),
    ]
    age_seconds: (
        Annotated[
            int,
            Meta(
                ge=0,
                description=(
                    "Only in a socket's catch-up, on a pending payment: seconds since it was created. A pending push "
                    "with no `checkout` older than STK_OUTCOME_UNKNOWN_AFTER_SECONDS is shown with outcome_unknown."
                ),
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class WithdrawalView(msgspec.Struct, forbid_unknown_fields=True):
    """A B2C withdrawal, in replies and updates alike: queued → submitted → success, failed or timeout; or
    rejected by Daraja outright. A timeout is never re-sent: only reconciliation settles it."""

    id: Annotated[str, _note("The gateway's withdrawal id.")]
    status: Annotated[WithdrawalStatus, _note("See the B2C status table in docs/protocol.md.")]
    phone: Msisdn
    amount: Shillings
    description: Annotated[str, _note("As stored; sent to Daraja as Remarks.")]
    originator_conversation_id: Annotated[
        str, _note("Generated and stored before anything is sent, so a Result can always be matched.")
    ]
    conversation_id: Annotated[str | None, _note("Daraja's ConversationID, once submitted.")]
    created_at: Moment
    updated_at: Moment
    result_code: Annotated[str | None, _note('Daraja\'s Result code once known; "0" is the only success.')]
    result_desc: Annotated[str | None, _note("Daraja's Result description once known.")]
    receipt: Annotated[str | None, _note("On success: the M-PESA receipt (TransactionReceipt).")]
    recipient_name: Annotated[str | None, _note("On success: ReceiverPartyPublicName, as Daraja reports it.")]
    completed_at: (
        Annotated[
            datetime,
            Meta(
                tz=True,
                description="On success: when M-PESA completed the payout, ISO 8601 in UTC (Daraja's "
                "TransactionCompletedDateTime, or the Transaction Status FinalisedTime, read as Kenyan time). "
                "null before, on failure, or if Daraja's value was in no known form.",
            ),
        ]
        | None
    )
    outcome_unknown: Annotated[bool, _note("true while the gateway cannot know whether the money moved.")]
    message: Annotated[str | None, _note("A sentence for the outcome, fit to show a customer.")]
    reference: Annotated[str | None, _note("The merchant's reference from the request; null when none was given.")]
    metadata: Annotated[
        dict[str, str | int | float | bool | None] | None,
        _note("The merchant's metadata from the request, as given; null when none was given."),
    ]
    version: Annotated[
        int,
        Meta(
            ge=0,
            description=(
                "Counts the record's stored changes: of two states of one record (in updates and replies alike) "
                "the higher version is the newer. Updates never go back to a lower one (see the update message)."
            ),
        ),
    ]


ZonedMoment = Annotated[datetime, Meta(tz=True, description="ISO 8601 with a time zone.")]


class C2bConfirmationView(msgspec.Struct, forbid_unknown_fields=True):
    trans_id: Annotated[str, _note("The M-PESA receipt (Daraja's TransID); counted once however often it comes.")]
    amount: Shillings
    at: ZonedMoment
    reversed_at: Annotated[
        ZonedMoment | None,
        _note("When a reversal gave this payment back (it no longer counts in `received`); null otherwise."),
    ]


class C2bRequestView(msgspec.Struct, forbid_unknown_fields=True):
    """A C2B payment request (what the merchant expects to be paid to the Paybill): open until paid, overpaid,
    underpaid at expiry, or expired (docs/c2b.md)."""

    id: Annotated[str, _note("The gateway's payment request id.")]
    kind: Literal["c2b_request"]
    account_reference: Annotated[str, _note("What the customer types as the account number, normalised.")]
    amount_rule: Annotated[AmountRule, _note("exact, minimum or open (any amount).")]
    amount: Annotated[int | None, _note("The amount asked for; null for open.")]
    received: Annotated[
        int, Meta(ge=0, description="Whole shillings counted so far, once per receipt; reversed payments not.")
    ]
    outstanding: Annotated[int, Meta(ge=0, description="What is still owed (0 for open, or once reached).")]
    status: Annotated[
        RequestStatus,
        _note(
            "open until the amount rule is met or the request expires; then final, unless a reversal of one of its "
            "payments settles it again from the payments left (docs/c2b.md)."
        ),
    ]
    expires_at: ZonedMoment
    created_at: ZonedMoment
    updated_at: ZonedMoment
    metadata: Annotated[
        dict[str, str | int | float | bool | None],
        _note("The merchant's metadata from the request ({} when none was given)."),
    ]
    confirmations: Annotated[list[C2bConfirmationView], _note("The payments counted on it, oldest first.")]
    version: Annotated[
        int,
        Meta(
            ge=0,
            description=(
                "Counts the request's stored changes: of two states the higher version is the newer. Updates never "
                "go back to a lower one."
            ),
        ),
    ]


class C2bPaymentView(msgspec.Struct, forbid_unknown_fields=True):
    """A confirmed C2B payment naming an account reference a request of the hash held (counted on it, or kept
    unmatched because the request had closed)."""

    kind: Literal["c2b_payment"]
    trans_id: Annotated[str, _note("The M-PESA receipt (Daraja's TransID).")]
    amount: Shillings
    shortcode: Annotated[str, _note("The Paybill or Till paid (BusinessShortCode).")]
    account_reference: Annotated[str, _note("The account number as the customer typed it (BillRefNumber).")]
    payer: Annotated[str, _note("The payer's number exactly as Daraja sent it: plain, masked or a SHA-256 hex.")]
    payer_form: Annotated[PayerForm, _note("Which form `payer` has.")]
    first_name: Annotated[str, _note("The payer's first name as Daraja sent it; may be empty.")]
    trans_time: Annotated[str, _note("Daraja's TransTime (YYYYMMDDHHmmss, Kenyan time).")]
    received_at: ZonedMoment
    match: Annotated[PaymentMatch, _note("applied (counted on the request) or request_closed (kept unmatched).")]
    request_id: Annotated[str | None, _note("The payment request it named.")]
    source: Annotated[str, _note("How the gateway learnt of it: confirmation (Daraja's ConfirmationURL call).")]
    reversal_id: Annotated[
        str | None,
        _note("The reversal that refunded this payment (docs/reversals.md); null unless M-PESA reversed it."),
    ]
    reversed_at: Annotated[ZonedMoment | None, _note("When the reversal was recorded; null unless reversed.")]
