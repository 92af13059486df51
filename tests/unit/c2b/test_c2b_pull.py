"""Nothing missed: a C2B payment whose confirmation never arrived is found by Pull and counted once."""

from datetime import timedelta

import pytest

from domain.c2b.confirmation import PaymentMatch
from domain.c2b.payment_request import RequestStatus
from domain.c2b.provider import PullRegistration, PullUnavailableError
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.c2b.use_cases.create_payment_request import CreatePaymentRequest, CreatePaymentRequestCommand
from domain.c2b.use_cases.pull_missed_payments import PULL_HORIZON, PULL_LEASE, PullMissedPayments
from tests.support.factories import C2B_SHORTCODE, c2b_transaction
from tests.unit.c2b_fakes import FakeC2bPayments, FakeC2bProvider, FakePaymentRequests
from tests.unit.fakes import FakeBroadcaster, FixedClock, SequentialIdentifiers
from tests.unit.webhook_fakes import FakeLeases

SHORTCODE = C2B_SHORTCODE
EVERY = timedelta(minutes=5)


class World:
    def __init__(self) -> None:
        self.clock, self.leases = FixedClock(), FakeLeases()
        self.requests, self.payments, self.provider = FakePaymentRequests(), FakeC2bPayments(), FakeC2bProvider()
        self.confirm = ConfirmPayment(self.requests, self.payments, FakeBroadcaster(), self.clock)
        registration = PullRegistration(SHORTCODE, "0722000000", "https://gateway.example/api/v1/hooks/c2b/x")
        self.pull = PullMissedPayments(
            self.provider, self.payments, self.confirm, self.leases, self.clock, "me", registration, EVERY
        )

    async def request_for(self, amount: int, ref: str = "INV-42") -> str:
        create = CreatePaymentRequest(self.requests, FakeBroadcaster(), SequentialIdentifiers(), self.clock)
        command = CreatePaymentRequestCommand("hash-1", ref, "exact", self.clock.now() + timedelta(days=1), amount)
        return (await create(command)).id


@pytest.fixture
def world() -> World:
    return World()


async def test_a_payment_whose_confirmation_was_lost_is_found_and_counted_once(world: World) -> None:
    request_id = await world.request_for(300)
    await world.confirm(c2b_transaction(trans_id="RKL0000001"))  # its confirmation arrived
    # The second's confirmation never did.
    world.provider.pulled = [c2b_transaction(trans_id="RKL0000001"), c2b_transaction(200, "RKL0000002")]

    first = await world.pull()
    world.clock.advance(minutes=5)
    second = await world.pull()

    found = world.payments.by_id["RKL0000002"]
    request = await world.requests.by_id("hash-1", request_id)
    assert (first, second) == (EVERY, EVERY)
    assert (found.source, found.match) == ("pull", PaymentMatch.APPLIED)
    assert request is not None and (request.status, request.received) == (RequestStatus.PAID, 300)
    assert sorted(request.confirmations) == ["RKL0000001", "RKL0000002"]
    assert len(world.provider.pull_registrations) == 1


async def test_the_first_look_goes_back_48_hours_and_later_ones_an_hour(world: World) -> None:
    await world.pull()
    world.clock.advance(minutes=5)
    await world.pull()

    (first_start, first_end), (later_start, later_end) = world.provider.pull_windows
    assert first_end - first_start == PULL_HORIZON
    assert later_end - later_start == timedelta(hours=1)


async def test_a_payment_no_request_expects_is_kept_unmatched(world: World) -> None:
    world.provider.pulled = [c2b_transaction(trans_id="RKL0000003", ref="NOBODY")]

    await world.pull()

    assert world.payments.by_id["RKL0000003"].match is PaymentMatch.UNKNOWN_REFERENCE


async def test_pull_refused_for_the_shortcode_is_asked_again_an_hour_later(world: World) -> None:
    world.provider.refusal = PullUnavailableError("500.003.1001", "Pull is not available for this shortcode")

    wait = await world.pull()

    assert wait == timedelta(hours=1)
    assert world.provider.pull_windows == []


async def test_while_another_instance_holds_the_lease_nothing_is_pulled(world: World) -> None:
    now = world.clock.now()
    await world.leases.acquire(PULL_LEASE, "other", now, now + timedelta(minutes=10))

    assert await world.pull() == EVERY
    assert world.provider.pull_windows == []
