"""The step every STK use case takes after storing a change: the subject's sockets are sent the payment as stored."""

import pytest

from domain.stk.payment import PaymentStatus
from domain.stk.use_cases.announce_payment import AnnouncePayment
from tests.support.factories import PaymentFactory
from tests.unit.fakes import FakeBroadcaster

TOPIC = "/mpesa/" + "a1b2c3d4" * 4


@pytest.mark.parametrize("status", list(PaymentStatus))
async def test_every_stored_change_goes_to_the_subjects_topic_as_its_view(status: PaymentStatus) -> None:
    broadcaster = FakeBroadcaster()
    payment = PaymentFactory.build(status=status)

    await AnnouncePayment(broadcaster)(payment)

    assert broadcaster.published == [(TOPIC, payment.view())]
