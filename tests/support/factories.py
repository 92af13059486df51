"""The one set of test factories: valid-by-default commands, records and Daraja results, for unit and integration tests
alike; a test overrides only what it is about, and compares against what it set or against the constants here.

A record in a later state is built by taking one through the domain's own transitions (`paid_payment`,
`failed_withdrawal`, ...), so it looks exactly as the gateway would have stored it.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from polyfactory.factories import DataclassFactory

from domain.amount import Amount
from domain.b2c_result_codes import B2C_SUCCESS_CODE
from domain.check_schedule import B2C_FIRST_CHECK_AFTER, STK_FIRST_CHECK_AFTER
from domain.description import Description
from domain.payment import Payment, StkResult
from domain.phone import Phone
from domain.result_codes import SUCCESS_CODE, PaymentStatus
from domain.status_change import StatusChange
from domain.use_cases.push_payment import PushCommand
from domain.use_cases.request_withdrawal import WithdrawCommand
from domain.withdrawal import B2cResult, Withdrawal, WithdrawalStatus

# The till (API-key hash) every record belongs to unless a test says otherwise.
HASH = "a1b2c3d4" * 4
# Whole milliseconds: BSON dates keep no finer time, so a record written to the store comes back exactly as built.
CREATED_AT = datetime(2025, 3, 14, 9, 0, 0, 125_000, tzinfo=UTC)
# When the state builders below settle a record: a minute after it was created.
SETTLED_AT = CREATED_AT + timedelta(minutes=1)

# What Daraja puts in a successful STK callback and B2C Result, unless the test gives its own.
STK_RECEIPT = "NLJ7RT61SV"
STK_TRANSACTION_DATE = "20250314120215"
B2C_RECEIPT = "SG632NMUAB"
B2C_COMPLETED_AT = "14.03.2025 12:48:52"
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
    def hash(cls) -> str:
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

    hash = HASH
    created_at = CREATED_AT
    updated_at = CREATED_AT
    status = PaymentStatus.PENDING
    result_code = None
    result_desc = None
    receipt = None
    transaction_date = None
    unconfirmed_success = None
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


def paid_payment(at: datetime = SETTLED_AT, **overrides: Any) -> Payment:
    """A payment Daraja's callback settled as paid at `at` (receipt `STK_RECEIPT`)."""
    payment = PaymentFactory.build(**overrides)
    payment.settle(success_for(payment), at)
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
    def hash(cls) -> str:
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

    hash = HASH
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
