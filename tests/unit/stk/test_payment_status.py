import pytest

from domain.shared.error_codes import ErrorCode
from domain.shared.errors import NotFoundError, ValidationError
from domain.stk.use_cases.payment_status import PaymentStatusQuery
from tests.support.factories import PaymentFactory
from tests.unit.fakes import FakePaymentRepository

MINE = "a" * 32
THEIRS = "b" * 32


async def test_a_payment_is_found_by_darajas_checkout_id() -> None:
    payment = PaymentFactory.build(subject=MINE, checkout="ws_CO_191220191020363925")
    query = PaymentStatusQuery(FakePaymentRepository(PaymentFactory.build(subject=MINE), payment))

    found = await query(MINE, "ws_CO_191220191020363925")

    assert found.view() == payment.view()


async def test_a_payment_is_found_by_the_gateways_own_id() -> None:
    payment = PaymentFactory.build(subject=MINE, id="pay000000042", checkout=None, merchant_request=None)
    query = PaymentStatusQuery(FakePaymentRepository(PaymentFactory.build(subject=MINE), payment))

    found = await query(MINE, "pay000000042")

    assert found.id == "pay000000042"


async def test_surrounding_whitespace_in_the_id_is_ignored() -> None:
    payment = PaymentFactory.build(subject=MINE, checkout="ws_CO_1")
    query = PaymentStatusQuery(FakePaymentRepository(payment))

    found = await query(MINE, "  ws_CO_1 ")

    assert found.id == payment.id


async def test_an_unknown_id_is_not_found() -> None:
    query = PaymentStatusQuery(FakePaymentRepository(PaymentFactory.build(subject=MINE)))

    with pytest.raises(NotFoundError) as missing:
        await query(MINE, "ws_CO_nobody")

    assert missing.value.code is ErrorCode.NOT_FOUND


@pytest.mark.parametrize("field", ["checkout", "id"])
async def test_another_subjects_payment_is_not_found(field: str) -> None:
    theirs = PaymentFactory.build(subject=THEIRS)
    query = PaymentStatusQuery(FakePaymentRepository(theirs))

    with pytest.raises(NotFoundError):
        await query(MINE, getattr(theirs, field))


@pytest.mark.parametrize("checkout", [None, 42, ["ws_CO_1"], {"checkout": "ws_CO_1"}, "", "   ", "x" * 65])
async def test_an_id_that_is_not_a_short_string_is_a_validation_error(checkout: object) -> None:
    query = PaymentStatusQuery(FakePaymentRepository(PaymentFactory.build(subject=MINE, checkout="x" * 65)))

    with pytest.raises(ValidationError) as refused:
        await query(MINE, checkout)

    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert refused.value.field == "checkout"
