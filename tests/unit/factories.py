"""Valid-by-default commands, payments and Daraja results; a test overrides only what it is about."""

from datetime import UTC, datetime, timedelta
from typing import Any

from polyfactory.factories import DataclassFactory

from domain.b2c.result_codes import B2C_SUCCESS_CODE
from domain.b2c.use_cases.request_withdrawal import WithdrawCommand
from domain.b2c.withdrawal import B2cResult, Withdrawal, WithdrawalStatus
from domain.shared.amount import Amount
from domain.shared.check_schedule import B2C_FIRST_CHECK_AFTER, STK_FIRST_CHECK_AFTER
from domain.shared.description import Description
from domain.shared.phone import Phone
from domain.shared.status_change import StatusChange
from domain.stk.payment import Payment, StkResult
from domain.stk.result_codes import SUCCESS_CODE, PaymentStatus
from domain.stk.use_cases.push_payment import PushCommand

CREATED_AT = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


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
    """A pending payment Daraja has accepted (it has a CheckoutRequestID) and no result yet."""

    __random_seed__ = 2547

    hash = "a1b2c3d4" * 4
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
        "receipt": "NLJ7RT61SV",
        "amount": payment.amount.shillings,
        "phone": payment.phone.msisdn,
        "transaction_date": "20250314120215",
        **overrides,
    }
    return StkResult(**fields)


def failure_for(payment: Payment, result_code: str, result_desc: str = "Request cancelled by user") -> StkResult:
    """Daraja's callback for an unpaid push: no metadata, as Daraja sends it."""
    assert payment.checkout is not None and payment.merchant_request is not None
    return StkResult(payment.merchant_request, payment.checkout, result_code, result_desc)


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

    hash = "a1b2c3d4" * 4
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
        "conversation_id": withdrawal.conversation_id or "AG_20250314_2010364430d9bbdaf872",
        "result_code": B2C_SUCCESS_CODE,
        "result_desc": "The service request is processed successfully.",
        "receipt": "SG632NMUAB",
        "amount": withdrawal.amount.shillings,
        "recipient_name": f"{withdrawal.phone.msisdn} - NICHOLAS JOHN SONGOK",
        "completed_at": "14.03.2025 12:48:52",
        **overrides,
    }
    return B2cResult(**fields)


def b2c_failure_for(
    withdrawal: Withdrawal, result_code: str = "2001", result_desc: str = "The initiator information is invalid."
) -> B2cResult:
    """Daraja's Result for an unpaid withdrawal: no ResultParameters, as Daraja sends it."""
    conversation_id = withdrawal.conversation_id or "AG_20250314_201062f6f6f5804f7a33"
    return B2cResult(withdrawal.originator_conversation_id, conversation_id, result_code, result_desc)


def queue_timeout_for(withdrawal: Withdrawal) -> B2cResult:
    """The QueueTimeOutURL notice (its shape is unconfirmed: a Result envelope, as the simulator sends it)."""
    conversation_id = withdrawal.conversation_id or "AG_20250314_201062f6f6f5804f7a33"
    return B2cResult(withdrawal.originator_conversation_id, conversation_id, "1", "The service request has timed out.")
