"""The relay numbers the state changes records were written with into the feed: each once, in order."""

from datetime import timedelta

from domain.events.ports import OutboxRecord
from domain.events.use_cases.relay_events import RELAY_LEASE, RelayEvents
from domain.stk.payment import Payment, StkPushAccepted
from tests.support.factories import started_payment
from tests.unit.fakes import FixedClock
from tests.unit.webhook_fakes import FakeEventLog, FakeEventOutbox, FakeLeases


def written(payment: Payment) -> OutboxRecord:
    return OutboxRecord("stk", payment.id, payment.version, list(payment.history), payment.view())


def started(clock: FixedClock, payment_id: str) -> Payment:
    return started_payment(clock.now(), id=payment_id, callback_token=f"token-{payment_id}")


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


async def test_a_look_after_this_process_wrote_reads_only_the_kinds_it_wrote_until_a_full_look_is_due() -> None:
    world = World()
    world.relay = RelayEvents(
        world.outbox, world.events, world.leases, world.clock, "me", 60, full_look_every=timedelta(seconds=10)
    )
    await world.relay()  # the first look covers every kind
    world.relay.note_written(frozenset({"stk"}))
    await world.relay()
    world.relay.note_written(frozenset({"stk"}))
    world.relay.note_written(frozenset({"b2c"}))
    await world.relay()
    await world.relay()  # nothing noted: a look at every kind (the idle poll)
    world.relay.note_written(frozenset({"b2c"}))
    world.clock.advance(seconds=10)
    await world.relay()  # a full look is due: written kinds or not
    world.relay.note_written(None)
    await world.relay()  # a write of a kind no one could name: every kind

    assert world.outbox.looked_at == [None, frozenset({"stk"}), frozenset({"stk", "b2c"}), None, None, None]


async def test_a_look_woken_by_a_withdrawal_leaves_payments_to_their_own_wake_up_or_the_idle_poll() -> None:
    world = World()
    await world.relay()
    world.outbox.write(written(started(world.clock, "pay1")))
    world.outbox.write(OutboxRecord("b2c", "wd1", 1, [], {"id": "wd1"}))
    world.relay.note_written(frozenset({"b2c"}))

    await world.relay()
    assert list(world.outbox.records) == ["pay1"]

    world.relay.note_written(frozenset({"stk"}))
    await world.relay()
    assert world.outbox.records == {}
    assert [e.record_id for e in world.events.events] == ["pay1"]
