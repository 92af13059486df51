"""The relay numbers the state changes records were written with into the feed: each once, in order."""

from domain.amount import Amount
from domain.description import Description
from domain.payment import Payment, StkPushAccepted
from domain.phone import Phone
from domain.ports.event_outbox import OutboxRecord
from domain.use_cases.relay_events import RELAY_LEASE, RelayEvents
from tests.unit.fakes import FixedClock
from tests.unit.webhook_fakes import FakeEventLog, FakeEventOutbox, FakeLeases


def written(payment: Payment) -> OutboxRecord:
    return OutboxRecord("stk", payment.id, payment.version, list(payment.history), payment.view())


def started(clock: FixedClock, payment_id: str) -> Payment:
    return Payment.start(
        payment_id=payment_id,
        hash_="h",
        phone=Phone("254712345678"),
        amount=Amount(100),
        description=Description("Goods"),
        callback_token=f"token-{payment_id}",
        now=clock.now(),
    )


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.outbox, self.events, self.leases = FakeEventOutbox(), FakeEventLog(), FakeLeases()
        self.relay = RelayEvents(self.outbox, self.events, self.leases, self.clock, "me", lease_seconds=60)


async def test_new_changes_become_numbered_events_once_each_in_order() -> None:
    world = World()
    payment = started(world.clock, "pay1")
    world.outbox.write(written(payment))
    await world.relay()
    payment.accept(StkPushAccepted("mr", "ws_CO_1"), world.clock.advance(seconds=1))
    payment.version += 1
    world.outbox.write(written(payment))

    await world.relay()
    await world.relay()

    assert [(e.sequence, e.type, e.data["checkout"]) for e in world.events.events] == [
        (1, "stk.pending", None),
        (2, "stk.pending", "ws_CO_1"),
    ]
    assert world.outbox.records == {}


async def test_relaying_a_record_again_adds_nothing() -> None:
    world = World()
    payment = started(world.clock, "pay1")
    world.outbox.write(written(payment))
    await world.relay()
    world.outbox.write(written(payment))

    looked_at = await world.relay()

    assert looked_at == 1
    assert len(world.events.events) == 1


async def test_nothing_is_relayed_while_another_instance_holds_the_relay_lease() -> None:
    world = World()
    now = world.clock.now()
    await world.leases.acquire(RELAY_LEASE, "other", now, world.clock.advance(seconds=30))
    world.clock.set(now)
    world.outbox.write(written(started(world.clock, "pay1")))

    assert await world.relay() == 0
    assert world.events.events == []
