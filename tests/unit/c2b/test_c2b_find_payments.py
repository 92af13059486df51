"""The read API finds C2B payments by account reference and by payer, however Daraja wrote the payer's number."""

import hashlib

import pytest

from domain.c2b.confirmation import PaymentMatch
from domain.c2b.payer import Payer
from domain.c2b.use_cases.find_payments import FindC2bPayments
from domain.shared.errors import ValidationError
from tests.support.factories import c2b_payment, c2b_transaction
from tests.unit.c2b_fakes import FakeC2bPayments
from tests.unit.fakes import FixedClock

CUSTOMER = "254708374149"


async def stored(payments: FakeC2bPayments, clock: FixedClock, trans_id: str, ref: str, payer: str) -> None:
    transaction = c2b_transaction(100, trans_id, ref, payer=Payer(payer))
    await payments.record(c2b_payment(transaction, clock.advance(seconds=1), PaymentMatch.UNKNOWN_REFERENCE))


@pytest.fixture
async def payments() -> FakeC2bPayments:
    clock, payments = FixedClock(), FakeC2bPayments()
    await stored(payments, clock, "RKL01", "inv 7", CUSTOMER)
    await stored(payments, clock, "RKL02", "INV7", hashlib.sha256(CUSTOMER.encode()).hexdigest())
    await stored(payments, clock, "RKL03", "INV8", "2547 ***** 149")
    await stored(payments, clock, "RKL04", "INV7", "254711111111")
    await stored(payments, clock, "RKL05", "INV9", "2547 ***** 777")  # same masked head, another tail
    return payments


async def test_by_reference_newest_first_whatever_the_spacing_and_case(payments: FakeC2bPayments) -> None:
    found = await FindC2bPayments(payments)(reference="inv7")

    assert [p.trans_id for p in found] == ["RKL04", "RKL02", "RKL01"]


async def test_by_phone_in_any_form_daraja_sent_it(payments: FakeC2bPayments) -> None:
    found = await FindC2bPayments(payments)(phone="0708374149")

    assert [(p.trans_id, p.transaction.payer.form.value) for p in found] == [
        ("RKL03", "masked"),
        ("RKL02", "sha256"),
        ("RKL01", "plain"),
    ]


async def test_by_reference_and_phone_together(payments: FakeC2bPayments) -> None:
    found = await FindC2bPayments(payments)(reference="INV7", phone=CUSTOMER, limit=1)

    assert [p.trans_id for p in found] == ["RKL02"]


@pytest.mark.parametrize(
    ("reference", "phone", "limit", "field"),
    [(None, None, 50, "reference"), ("INV7", None, 0, "limit"), (None, "12345", 50, "phone")],
)
async def test_bad_queries_are_refused(
    payments: FakeC2bPayments, reference: str | None, phone: str | None, limit: int, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await FindC2bPayments(payments)(reference=reference, phone=phone, limit=limit)

    assert field in str(refused.value.details)
