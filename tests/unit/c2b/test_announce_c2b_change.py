"""The step every C2B use case takes after storing a change: the subject's sockets are told, and a payment that
named no request (so has no subject) is kept without a socket to tell."""

from domain.c2b.confirmation import PaymentMatch
from domain.c2b.use_cases.announce_c2b_change import AnnounceC2bChange
from tests.support.factories import SUBJECT, c2b_payment, payment_request
from tests.unit.fakes import FakeBroadcaster

TOPIC = "/mpesa/c2b/" + SUBJECT


async def test_a_stored_request_goes_to_its_subjects_topic_as_its_view() -> None:
    broadcaster, request = FakeBroadcaster(), payment_request()

    await AnnounceC2bChange(broadcaster).request(request)

    assert broadcaster.published == [(TOPIC, request.view())]


async def test_a_payment_matched_to_a_request_goes_to_that_requests_subject() -> None:
    broadcaster = FakeBroadcaster()
    payment = c2b_payment(match=PaymentMatch.APPLIED, request_id="req-1", subject=SUBJECT)

    await AnnounceC2bChange(broadcaster).payment(payment)

    assert broadcaster.published == [(TOPIC, payment.view())]


async def test_a_payment_no_request_expected_is_published_to_no_one() -> None:
    broadcaster = FakeBroadcaster()

    await AnnounceC2bChange(broadcaster).payment(c2b_payment(match=PaymentMatch.UNKNOWN_REFERENCE))

    assert broadcaster.published == []
