"""Valid-by-default commands, payments and Daraja results; a test overrides only what it is about."""

from datetime import UTC, datetime
from typing import Any

from polyfactory.factories import DataclassFactory

from domain.amount import Amount
from domain.description import Description
from domain.payment import Payment, StkResult
from domain.phone import Phone
from domain.result_codes import SUCCESS_CODE, PaymentStatus
from domain.use_cases.push_payment import PushCommand

CREATED_AT = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


class PushCommandFactory(DataclassFactory[PushCommand]):
    __random_seed__ = 254

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
    outcome_unknown = False
    version = 0

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
    fields: dict[str, Any] = {"checkout": None, "merchant_request": None, "outcome_unknown": True, **overrides}
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
