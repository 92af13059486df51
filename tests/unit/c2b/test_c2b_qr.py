"""A QR code for an open payment request pays its Paybill, account reference and what is still owed."""

from datetime import timedelta

import pytest

from domain.c2b.errors import RequestClosedError
from domain.c2b.payer import Payer
from domain.c2b.provider import QrKind
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.c2b.use_cases.create_payment_request import CreatePaymentRequest, CreatePaymentRequestCommand
from domain.c2b.use_cases.draw_request_qr import DrawRequestQr, QrShop
from domain.shared.errors import NotFoundError, ValidationError
from tests.support.factories import c2b_transaction
from tests.unit.c2b_fakes import FakeC2bPayments, FakeC2bProvider, FakePaymentRequests
from tests.unit.fakes import FakeBroadcaster, FixedClock, SequentialIdentifiers


class World:
    def __init__(self) -> None:
        self.clock, self.requests, self.provider = FixedClock(), FakePaymentRequests(), FakeC2bProvider()
        self.draw = DrawRequestQr(self.requests, self.provider, QrShop("Duka La Mama", "600984"))
        self.confirm = ConfirmPayment(self.requests, FakeC2bPayments(), FakeBroadcaster(), self.clock)
        self.identifiers = SequentialIdentifiers()

    async def request(self, rule: str = "exact", amount: int | None = 500) -> str:
        create = CreatePaymentRequest(self.requests, FakeBroadcaster(), self.identifiers, self.clock)
        expires = self.clock.now() + timedelta(hours=1)
        return (await create(CreatePaymentRequestCommand("hash-1", "inv 7", rule, expires, amount))).id


async def test_the_qr_pays_the_paybill_with_the_reference_and_what_is_still_owed() -> None:
    world = World()
    request_id = await world.request()
    await world.confirm(c2b_transaction(200, "RKL0000001", "INV7", payer=Payer("254708374149")))

    image = await world.draw("hash-1", request_id)

    [asked] = world.provider.qr_requests
    assert (asked.kind, asked.credit_party, asked.reference, asked.amount) == (QrKind.PAYBILL, "600984", "INV7", 300)
    assert asked.merchant_name == "Duka La Mama"
    assert image.png.startswith(b"\x89PNG")


async def test_no_qr_for_a_paid_request_an_open_amount_or_another_subject() -> None:
    world = World()
    paid = await world.request(amount=100)
    await world.confirm(c2b_transaction(100, "RKL0000002", "INV7", payer=Payer("254708374149")))
    open_amount = await world.request(rule="open", amount=None)  # INV7 is free again once the first is paid

    with pytest.raises(RequestClosedError):
        await world.draw("hash-1", paid)
    with pytest.raises(ValidationError):
        await world.draw("hash-1", open_amount)
    with pytest.raises(NotFoundError):
        await world.draw("another-hash", open_amount)
    assert world.provider.qr_requests == []
