"""Valid payments with unique ids, tokens and CheckoutRequestIDs; a test overrides only what it is about."""

from datetime import UTC, datetime

from polyfactory.factories import DataclassFactory

from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.phone import Phone
from domain.shared.status_change import StatusChange
from domain.stk.payment import Payment
from domain.stk.result_codes import PaymentStatus

HASH = "a1b2c3d4" * 4
# Whole milliseconds: BSON dates keep no finer time, so these come back exactly as written.
CREATED_AT = datetime(2025, 3, 14, 9, 0, 0, 125_000, tzinfo=UTC)


class PaymentFactory(DataclassFactory[Payment]):
    """A pending payment Daraja has accepted (it has a CheckoutRequestID) and no result yet."""

    __random_seed__ = 27017

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
    next_check_at = None
    check_attempts = 0
    reference = None
    metadata = None
    phone_held_until = None
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


class WithdrawalFactory(DataclassFactory[Withdrawal]):
    """A queued withdrawal, never leased; a test overrides only what it is about."""

    __random_seed__ = 27018

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
        return Amount.parse(cls.__random__.randint(10, 150_000))

    @classmethod
    def description(cls) -> Description:
        return Description.parse(cls.__faker__.sentence(nb_words=4))

    @classmethod
    def originator_conversation_id(cls) -> str:
        return cls.__faker__.uuid4()

    @classmethod
    def callback_token(cls) -> str:
        return cls.__faker__.hexify("^" * 40)
