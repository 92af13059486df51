"""The one set of test factories: valid-by-default commands, records and Daraja results, for unit and integration tests
alike; a test overrides only what it is about, and compares against what it set or against the constants here.

A record in a later state is built by taking one through the domain's own transitions (`paid_payment`,
`failed_withdrawal`, ...), so it looks exactly as the gateway would have stored it.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from polyfactory.factories import DataclassFactory

from domain.access.api_key import ApiKey, secret_digest
from domain.b2c.result_codes import B2C_SUCCESS_CODE
from domain.b2c.use_cases.request_withdrawal import WithdrawCommand
from domain.b2c.withdrawal import B2cResult, Withdrawal, WithdrawalStatus
from domain.balances.balance_check import BalanceCheck, CheckTrigger
from domain.c2b.account_reference import AccountReference
from domain.c2b.confirmation import C2bPayment, C2bTransaction, PaymentMatch
from domain.c2b.payer import Payer
from domain.c2b.payment_request import AmountRule, PaymentRequest
from domain.callbacks.received_callback import CallbackKind, ReceivedCallback
from domain.events.event import Event
from domain.events.types import TypeFilter
from domain.reversals.reversal import Reversal, ReversalResult
from domain.shared.amount import Amount
from domain.shared.check_schedule import B2C_FIRST_CHECK_AFTER, STK_FIRST_CHECK_AFTER
from domain.shared.description import Description
from domain.shared.merchant_data import Metadata
from domain.shared.phone import Phone
from domain.shared.status_change import StatusChange
from domain.shared.transaction_status import TransactionStatusResult
from domain.stk.payment import Payment, StkResult
from domain.stk.result_codes import SUCCESS_CODE, PaymentStatus
from domain.stk.use_cases.push_payment import PushCommand
from domain.webhooks.endpoint import EndpointSource, WebhookEndpoint

# The subject every record belongs to unless a test says otherwise.
SUBJECT = "a1b2c3d4" * 4
# Whole milliseconds: BSON dates keep no finer time, so a record written to the store comes back exactly as built.
CREATED_AT = datetime(2025, 3, 14, 9, 0, 0, 125_000, tzinfo=UTC)
# When the state builders below settle a record: a minute after it was created.
SETTLED_AT = CREATED_AT + timedelta(minutes=1)

# What Daraja puts in a successful STK callback and B2C Result, unless the test gives its own.
STK_RECEIPT = "NLJ7RT61SV"
STK_TRANSACTION_DATE = "20250314120215"
B2C_RECEIPT = "SG632NMUAB"
B2C_COMPLETED_AT = "14.03.2025 12:48:52"
B2C_FINALISED_TIME = "20250314124852"  # the same moment, as a Transaction Status answer writes it
B2C_CONVERSATION_ID = "AG_20250314_2010364430d9bbdaf872"
B2C_FAILED_CONVERSATION_ID = "AG_20250314_201062f6f6f5804f7a33"

# A result code for each way an STK push ends unpaid (docs/daraja.md#stk-result-codes).
UNPAID_STK_RESULTS: dict[PaymentStatus, tuple[str, str]] = {
    PaymentStatus.FAILED: ("1", "The balance is insufficient for the transaction."),
    PaymentStatus.CANCELLED: ("1032", "Request cancelled by user"),
    PaymentStatus.TIMEOUT: ("1037", "DS timeout user cannot be reached"),
}


class PushCommandFactory(DataclassFactory[PushCommand]):
    __random_seed__ = 254

    idempotency_key = None
    reference = None
    metadata = None

    @classmethod
    def subject(cls) -> str:
        return cls.__faker__.hexify("^" * 32)

    @classmethod
    def phone(cls) -> str:
        return "07" + cls.__faker__.numerify("########")

    @classmethod
    def amount(cls) -> int:
        return cls.__random__.randint(1, 70_000)

    @classmethod
    def description(cls) -> str:
        return cls.__faker__.sentence(nb_words=4)


class PaymentFactory(DataclassFactory[Payment]):
    """A pending payment Daraja has accepted (it has a CheckoutRequestID, and its first check is scheduled) and no
    result yet."""

    __random_seed__ = 2547

    subject = SUBJECT
    created_at = CREATED_AT
    updated_at = CREATED_AT
    status = PaymentStatus.PENDING
    result_code = None
    result_desc = None
    receipt = None
    transaction_date = None
    unconfirmed_success = None
    applied_callback = None
    outcome_unknown = False
    next_check_at = CREATED_AT + STK_FIRST_CHECK_AFTER
    check_attempts = 0
    reference = None
    metadata = None
    phone_held_until = None
    reversal_id = None
    version = 0

    @classmethod
    def history(cls) -> list[StatusChange]:
        return []

    @classmethod
    def id(cls) -> str:
        return cls.__faker__.hexify("^" * 24)

    @classmethod
    def phone(cls) -> Phone:
        return Phone.parse("2547" + cls.__faker__.numerify("########"))

    @classmethod
    def amount(cls) -> Amount:
        return Amount.parse(cls.__random__.randint(1, 70_000))

    @classmethod
    def description(cls) -> Description:
        return Description.parse(cls.__faker__.sentence(nb_words=4))

    @classmethod
    def callback_token(cls) -> str:
        return cls.__faker__.hexify("^" * 40)

    @classmethod
    def checkout(cls) -> str:
        return "ws_CO_" + cls.__faker__.numerify("#" * 24)

    @classmethod
    def merchant_request(cls) -> str:
        return cls.__faker__.numerify("#####-########-#")


def started_payment(at: datetime = CREATED_AT, **overrides: Any) -> Payment:
    """A payment just started through the domain at `at`, before the push: its history holds the request. The
    overrides choose its id, hash, phone, amount, description and callback token."""
    template = PaymentFactory.build(**overrides)
    return Payment.start(
        payment_id=template.id,
        subject=template.subject,
        phone=template.phone,
        amount=template.amount,
        description=template.description,
        callback_token=template.callback_token,
        now=at,
    )


def unknown_outcome_payment(**overrides: Any) -> Payment:
    """A pending payment whose push timed out: Daraja's ids are not known yet."""
    fields: dict[str, Any] = {
        "checkout": None,
        "merchant_request": None,
        "outcome_unknown": True,
        "next_check_at": None,
        **overrides,
    }
    return PaymentFactory.build(**fields)


def success_for(payment: Payment, **overrides: Any) -> StkResult:
    """Daraja's callback saying `payment` was paid, agreeing with it in every field."""
    fields: dict[str, Any] = {
        "merchant_request": payment.merchant_request,
        "checkout": payment.checkout,
        "result_code": SUCCESS_CODE,
        "result_desc": "The service request is processed successfully.",
        "receipt": STK_RECEIPT,
        "amount": payment.amount.shillings,
        "phone": payment.phone.msisdn,
        "transaction_date": STK_TRANSACTION_DATE,
        **overrides,
    }
    return StkResult(**fields)


def failure_for(payment: Payment, result_code: str, result_desc: str = "Request cancelled by user") -> StkResult:
    """Daraja's callback for an unpaid push: no metadata, as Daraja sends it."""
    assert payment.checkout is not None and payment.merchant_request is not None
    return StkResult(payment.merchant_request, payment.checkout, result_code, result_desc)


def paid_payment(at: datetime = SETTLED_AT, receipt: str = STK_RECEIPT, **overrides: Any) -> Payment:
    """A payment Daraja's callback settled as paid at `at`, with M-PESA receipt `receipt`."""
    payment = PaymentFactory.build(**overrides)
    payment.settle(success_for(payment, receipt=receipt), at)
    return payment


def unpaid_payment(
    status: PaymentStatus = PaymentStatus.FAILED, at: datetime = SETTLED_AT, **overrides: Any
) -> Payment:
    """A payment Daraja's callback settled unpaid at `at`: failed, cancelled or timed out."""
    payment = PaymentFactory.build(**overrides)
    payment.settle(failure_for(payment, *UNPAID_STK_RESULTS[status]), at)
    return payment


class WithdrawCommandFactory(DataclassFactory[WithdrawCommand]):
    __random_seed__ = 2540

    idempotency_key = None
    reference = None
    metadata = None

    @classmethod
    def subject(cls) -> str:
        return cls.__faker__.hexify("^" * 32)

    @classmethod
    def phone(cls) -> str:
        return "07" + cls.__faker__.numerify("########")

    @classmethod
    def amount(cls) -> int:
        return cls.__random__.randint(10, 70_000)

    @classmethod
    def description(cls) -> str:
        return cls.__faker__.sentence(nb_words=4)


class WithdrawalFactory(DataclassFactory[Withdrawal]):
    """A queued withdrawal nobody has claimed yet."""

    __random_seed__ = 25407

    subject = SUBJECT
    created_at = CREATED_AT
    updated_at = CREATED_AT
    status = WithdrawalStatus.QUEUED
    conversation_id = None
    result_code = None
    result_desc = None
    receipt = None
    recipient_name = None
    completed_at = None
    unconfirmed_success = None
    applied_callback = None
    outcome_unknown = False
    lease_owner = None
    lease_expires_at = None
    next_check_at = None
    status_query = None
    check_attempts = 0
    reference = None
    metadata = None
    version = 0

    @classmethod
    def history(cls) -> list[StatusChange]:
        return []

    @classmethod
    def id(cls) -> str:
        return cls.__faker__.hexify("^" * 24)

    @classmethod
    def phone(cls) -> Phone:
        return Phone.parse("2547" + cls.__faker__.numerify("########"))

    @classmethod
    def amount(cls) -> Amount:
        return Amount(cls.__random__.randint(10, 70_000))

    @classmethod
    def description(cls) -> Description:
        return Description.parse(cls.__faker__.sentence(nb_words=4))

    @classmethod
    def originator_conversation_id(cls) -> str:
        return cls.__faker__.uuid4()

    @classmethod
    def callback_token(cls) -> str:
        return cls.__faker__.hexify("^" * 40)


def started_withdrawal(at: datetime = CREATED_AT, **overrides: Any) -> Withdrawal:
    """A withdrawal just requested through the domain at `at`: queued, its history holding the request. The overrides
    choose its id, hash, phone, amount, description, OriginatorConversationID and callback token."""
    template = WithdrawalFactory.build(**overrides)
    return Withdrawal.start(
        withdrawal_id=template.id,
        subject=template.subject,
        phone=template.phone,
        amount=template.amount,
        description=template.description,
        originator_conversation_id=template.originator_conversation_id,
        callback_token=template.callback_token,
        now=at,
    )


def in_flight_withdrawal(**overrides: Any) -> Withdrawal:
    """A withdrawal a worker claimed and started sending: Daraja's answer is not recorded yet."""
    fields: dict[str, Any] = {
        "status": WithdrawalStatus.SUBMITTED,
        "outcome_unknown": True,
        "lease_owner": "worker-1",
        "lease_expires_at": CREATED_AT + timedelta(seconds=30),
        "next_check_at": CREATED_AT + B2C_FIRST_CHECK_AFTER,
        **overrides,
    }
    return WithdrawalFactory.build(**fields)


def submitted_withdrawal(**overrides: Any) -> Withdrawal:
    """A withdrawal Daraja accepted (it has a ConversationID) and whose Result has not arrived."""
    fields: dict[str, Any] = {
        "status": WithdrawalStatus.SUBMITTED,
        "conversation_id": "AG_20250314_" + WithdrawalFactory.__faker__.hexify("^" * 20),
        "next_check_at": CREATED_AT + B2C_FIRST_CHECK_AFTER,
        **overrides,
    }
    return WithdrawalFactory.build(**fields)


def b2c_success_for(withdrawal: Withdrawal, **overrides: Any) -> B2cResult:
    """Daraja's Result saying `withdrawal` was paid, agreeing with it in every field."""
    fields: dict[str, Any] = {
        "originator_conversation_id": withdrawal.originator_conversation_id,
        "conversation_id": withdrawal.conversation_id or B2C_CONVERSATION_ID,
        "result_code": B2C_SUCCESS_CODE,
        "result_desc": "The service request is processed successfully.",
        "receipt": B2C_RECEIPT,
        "amount": withdrawal.amount.shillings,
        "recipient_name": f"{withdrawal.phone.msisdn} - NICHOLAS JOHN SONGOK",
        "completed_at": B2C_COMPLETED_AT,
        **overrides,
    }
    return B2cResult(**fields)


def b2c_failure_for(
    withdrawal: Withdrawal, result_code: str = "2001", result_desc: str = "The initiator information is invalid."
) -> B2cResult:
    """Daraja's Result for an unpaid withdrawal: no ResultParameters, as Daraja sends it."""
    conversation_id = withdrawal.conversation_id or B2C_FAILED_CONVERSATION_ID
    return B2cResult(withdrawal.originator_conversation_id, conversation_id, result_code, result_desc)


def queue_timeout_for(withdrawal: Withdrawal) -> B2cResult:
    """The QueueTimeOutURL notice (its shape is unconfirmed: a Result envelope, as the simulator sends it)."""
    conversation_id = withdrawal.conversation_id or B2C_FAILED_CONVERSATION_ID
    return B2cResult(withdrawal.originator_conversation_id, conversation_id, "1", "The service request has timed out.")


def status_answer(
    withdrawal: Withdrawal, status: str | None = "Completed", **overrides: Any
) -> TransactionStatusResult:
    """Daraja's Transaction Status answer about `withdrawal`, agreeing with it in every field."""
    fields: dict[str, Any] = {
        "result_code": "0",
        "result_desc": "The service request has been accepted successfully.",
        "originator_conversation_id": withdrawal.originator_conversation_id,
        "status": status,
        "receipt": B2C_RECEIPT,
        "amount": withdrawal.amount.shillings,
        "conversation_id": withdrawal.conversation_id,
        "finalised_time": B2C_FINALISED_TIME,
        **overrides,
    }
    return TransactionStatusResult(**fields)


def paid_withdrawal(at: datetime = SETTLED_AT, **overrides: Any) -> Withdrawal:
    """A withdrawal Daraja's Result settled as paid at `at` (receipt `B2C_RECEIPT`)."""
    withdrawal = submitted_withdrawal(**overrides)
    withdrawal.settle(b2c_success_for(withdrawal), at)
    return withdrawal


def failed_withdrawal(at: datetime = SETTLED_AT, **overrides: Any) -> Withdrawal:
    """A withdrawal Daraja's Result settled unpaid at `at` (code 2001)."""
    withdrawal = submitted_withdrawal(**overrides)
    withdrawal.settle(b2c_failure_for(withdrawal), at)
    return withdrawal


def timed_out_withdrawal(at: datetime = SETTLED_AT, **overrides: Any) -> Withdrawal:
    """A withdrawal Daraja timed out in its queue at `at`: its outcome is unknown until reconciled."""
    withdrawal = submitted_withdrawal(**overrides)
    withdrawal.time_out(queue_timeout_for(withdrawal), at)
    return withdrawal


def rejected_withdrawal(at: datetime = SETTLED_AT, **overrides: Any) -> Withdrawal:
    """A withdrawal Daraja refused when it was sent, at `at`: nothing was paid."""
    withdrawal = in_flight_withdrawal(**overrides)
    withdrawal.reject("400.002.02", "Bad Request - Invalid Amount", at)
    return withdrawal


# C2B: the paybill, the account reference a request is opened for and a payer as Daraja masks them.
C2B_SHORTCODE = "600984"
C2B_REFERENCE = "INV-42"
C2B_TRANS_ID = "RKL51ZDR4F"
C2B_PAYER = Payer("2547 ***** 126")
C2B_TRANS_TIME = "20250314120000"  # Kenyan time: CREATED_AT


def c2b_transaction(
    amount: int = 100, trans_id: str = C2B_TRANS_ID, ref: str = C2B_REFERENCE, **overrides: Any
) -> C2bTransaction:
    """Daraja's confirmation that `amount` was paid to the paybill for account `ref` (an empty `trans_id` makes it a
    validation request: the money has not moved yet)."""
    fields: dict[str, Any] = {
        "trans_id": trans_id,
        "amount": amount,
        "shortcode": C2B_SHORTCODE,
        "bill_reference": ref,
        "payer": C2B_PAYER,
        "trans_time": C2B_TRANS_TIME,
        "transaction_type": "Pay Bill",
        "first_name": "NICHOLAS",
        "org_account_balance": "25.00",
        **overrides,
    }
    return C2bTransaction(**fields)


def payment_request(
    request_id: str = "req-1",
    ref: str = C2B_REFERENCE,
    amount: int | None = 100,
    *,
    rule: AmountRule | None = None,
    subject: str = SUBJECT,
    now: datetime = CREATED_AT,
    expires_in: timedelta = timedelta(hours=1),
    metadata: dict[str, Any] | None = None,
) -> PaymentRequest:
    """An open C2B payment request for `ref`: exactly `amount` (or any amount when `amount` is None), for an hour."""
    rule = rule or (AmountRule.OPEN if amount is None else AmountRule.EXACT)
    extra = Metadata.parse({"order": 7} if metadata is None else metadata)
    return PaymentRequest.create(request_id, subject, AccountReference(ref), rule, amount, now + expires_in, now, extra)


def c2b_payment(
    transaction: C2bTransaction | None = None,
    at: datetime = CREATED_AT,
    match: PaymentMatch = PaymentMatch.UNKNOWN_REFERENCE,
    request_id: str | None = None,
    subject: str | None = None,
) -> C2bPayment:
    """A confirmed C2B payment as stored: by default one no request expected."""
    return C2bPayment(transaction or c2b_transaction(), at, match, request_id, subject)


# Reversals: the payment reversed is a paid one with the STK receipt.
def requested_reversal(
    reversal_id: str = "rev-1", receipt: str = STK_RECEIPT, at: datetime = CREATED_AT, **overrides: Any
) -> Reversal:
    """A reversal of a 150-shilling payment, requested at `at` and not yet claimed by the worker."""
    fields: dict[str, Any] = {
        "reversal_id": reversal_id,
        "receipt": receipt,
        "amount": Amount(150),
        "reason": Description("Customer paid twice"),
        "subject": SUBJECT,
        "payment_id": "pay-1",
        "callback_token": f"token-{reversal_id}",
        "now": at,
        "idempotency_key": "k-1",
        **overrides,
    }
    return Reversal.start(**fields)


def reversal_success_for(receipt: str = STK_RECEIPT, amount: int = 150, **overrides: Any) -> ReversalResult:
    """Daraja's Result saying the payment with `receipt` was reversed."""
    fields: dict[str, Any] = {
        "result_code": "0",
        "result_desc": "The service request is processed successfully.",
        "conversation_id": "AG_20250314_0001",
        "originator_conversation_id": "29115-1-1",
        "transaction_id": "SKE52PAWR9",
        "original_transaction_id": receipt,
        "amount": amount,
        "completed_at": "20250314132711",
        **overrides,
    }
    return ReversalResult(**fields)


# Balances.
def balance_check(check_id: str = "chk-1", at: datetime = CREATED_AT, **overrides: Any) -> BalanceCheck:
    """A scheduled account-balance query, requested at `at` and not yet sent."""
    fields: dict[str, Any] = {
        "id": check_id,
        "callback_token": f"token-{check_id}",
        "trigger": CheckTrigger.SCHEDULE,
        "requested_at": at,
        **overrides,
    }
    return BalanceCheck(**fields)


# Events and webhooks.
WEBHOOK_SECRET = "whsec_" + "ab" * 24


def event(number: int = 1, type_: str = "stk.pending", **overrides: Any) -> Event:
    """The `number`th event: id `evt_<number>` about record `rec<number>`, of the kind its type names."""
    fields: dict[str, Any] = {
        "id": f"evt_{number}",
        "type": type_,
        "record_kind": type_.split(".")[0],
        "record_id": f"rec{number}",
        "created": CREATED_AT,
        "data": {},
        **overrides,
    }
    return Event(**fields)


def webhook_endpoint(endpoint_id: str = "we_1", types: list[str] | None = None, **overrides: Any) -> WebhookEndpoint:
    """An enabled endpoint registered through the API, for every event type unless `types` says otherwise, that has
    been sent nothing yet."""
    fields: dict[str, Any] = {
        "id": endpoint_id,
        "url": f"https://merchant.example/{endpoint_id}",
        "secret": WEBHOOK_SECRET,
        "types": TypeFilter.parse(types or ["*"]),
        "description": "",
        "source": EndpointSource.API,
        "created_at": CREATED_AT,
        "delivered_through": 0,
        **overrides,
    }
    return WebhookEndpoint(**fields)


# Clients' API keys and Daraja's callbacks as received.
API_KEY_SECRET = "f" * 64
# The secret part of the callback URL Daraja posted to.
CALLBACK_PATH_TOKEN = "token"


def api_key(key_id: str = "00000000000000a1", name: str = "shop backend", **overrides: Any) -> ApiKey:
    """A live API key (its secret `API_KEY_SECRET`), never used, with no scopes beyond the default ones."""
    fields: dict[str, Any] = {
        "key_id": key_id,
        "name": name,
        "secret_sha256": secret_digest(API_KEY_SECRET),
        "created_at": CREATED_AT,
        **overrides,
    }
    return ApiKey(**fields)


def received_callback(
    kind: CallbackKind = CallbackKind.STK,
    body: bytes = b"{}",
    *,
    path_token: str = CALLBACK_PATH_TOKEN,
    headers: Iterable[tuple[str, str]] = (),
    source: str | None = None,
    at: datetime = CREATED_AT,
) -> ReceivedCallback:
    """A callback as it arrived at one of Daraja's URLs, with the credentials in its headers left out."""
    return ReceivedCallback.arrived(kind, path_token, body, headers, source, at)
