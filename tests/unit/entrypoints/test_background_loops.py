"""Background loops wait longer while they find nothing, are woken by work made in this process, and hold their
leases with as few store commands as the leases' lifetime allows."""

import asyncio
from datetime import UTC, datetime, timedelta

from adapters.broadcast.waking_broadcaster import WakingBroadcaster
from adapters.renewing_leases import RenewingLeases
from domain.events.use_cases.relay_events import RelayEvents
from entrypoints.idle_pause import IdlePause
from entrypoints.polling_loop import PollingLoop
from entrypoints.relay_wake_up import RelayWakeUp
from entrypoints.worker import WithdrawalWorker
from tests.unit.fakes import FakeBroadcaster, FixedClock
from tests.unit.webhook_fakes import FakeEventLog, FakeEventOutbox, FakeLeases

# Far longer than any test runs: a step that happens again must have been woken.
NEVER = 3600.0
GENEROUS = 30.0


class CountingSteps:
    def __init__(self) -> None:
        self.calls = 0
        self._ran = asyncio.Condition()

    async def __call__(self) -> int:
        async with self._ran:
            self.calls += 1
            self._ran.notify_all()
        return 0

    async def reach(self, calls: int) -> None:
        async with self._ran:
            await asyncio.wait_for(self._ran.wait_for(lambda: self.calls >= calls), GENEROUS)


async def test_an_idle_loop_waits_twice_as_long_each_time_up_to_the_cap() -> None:
    pause = IdlePause(first_seconds=0.001, max_seconds=0.004)
    waits = []
    for _ in range(5):
        waits.append(pause.next_seconds)
        await pause.idle()

    assert waits == [0.001, 0.002, 0.004, 0.004, 0.004]


async def test_work_found_or_made_starts_the_wait_over() -> None:
    pause = IdlePause(first_seconds=0.001, max_seconds=1.0)
    for _ in range(3):
        await pause.idle()
    pause.found_work()
    assert pause.next_seconds == 0.001

    for _ in range(3):
        await pause.idle()
    pause.wake()
    assert pause.next_seconds == 0.001


async def test_a_polling_loop_woken_in_process_runs_its_step_without_waiting_for_its_poll() -> None:
    step = CountingSteps()
    loop = PollingLoop("test_loop", step, IdlePause(NEVER, NEVER))
    running = asyncio.create_task(loop.run())
    await step.reach(1)

    loop.wake()
    await step.reach(2)

    loop.stop()
    await asyncio.wait_for(running, GENEROUS)
    assert step.calls == 2


async def test_a_wake_up_during_a_step_is_not_lost() -> None:
    pause = IdlePause(NEVER, NEVER)
    looks = CountingSteps()

    async def step() -> int:
        if looks.calls == 0:
            pause.wake()  # work made while the loop was looking
        return await looks()

    loop = PollingLoop("test_loop", step, pause)
    running = asyncio.create_task(loop.run())
    await looks.reach(2)
    loop.stop()
    await asyncio.wait_for(running, GENEROUS)


async def test_the_worker_woken_by_a_queued_withdrawal_looks_at_once() -> None:
    looks = CountingSteps()

    async def submit_next() -> None:
        await looks()

    worker = WithdrawalWorker(submit_next, poll_seconds=NEVER, max_idle_seconds=NEVER)
    running = asyncio.create_task(worker.run())
    await looks.reach(1)

    worker.wake()
    await looks.reach(2)

    worker.stop()
    await asyncio.wait_for(running, GENEROUS)


async def test_a_publish_wakes_the_event_relay_for_the_kind_of_record_published() -> None:
    pause = IdlePause(NEVER, NEVER)
    outbox = FakeEventOutbox()
    relay = RelayEvents(outbox, FakeEventLog(), FakeLeases(), FixedClock(), "me", lease_seconds=60)
    looks = CountingSteps()

    async def step() -> int:
        await relay()
        return await looks()

    loop = PollingLoop("event_relay", step, pause)
    clients = FakeBroadcaster()
    broadcaster = WakingBroadcaster(clients, RelayWakeUp(relay, pause))
    running = asyncio.create_task(loop.run())
    await looks.reach(1)

    await broadcaster.publish("/mpesa/b2c/abc", {"status": "success"})
    await looks.reach(2)

    loop.stop()
    await asyncio.wait_for(running, GENEROUS)
    assert clients.published == [("/mpesa/b2c/abc", {"status": "success"})]
    assert outbox.looked_at == [None, frozenset({"b2c"})]  # the first look, at start, covers every kind


async def test_a_step_that_did_less_than_a_full_batch_waits_and_a_full_batch_runs_again_at_once() -> None:
    sizes = iter([3, 2, 0])
    looks = CountingSteps()

    async def step() -> int:
        await looks()
        return next(sizes, 0)

    loop = PollingLoop("test_loop", step, IdlePause(NEVER, NEVER), full_batch=3)
    running = asyncio.create_task(loop.run())
    await looks.reach(2)  # the full batch of 3 is followed at once by another look
    await asyncio.sleep(0.05)
    assert looks.calls == 2  # the partial batch of 2 found everything there was: the loop waits

    loop.wake()
    await looks.reach(3)
    loop.stop()
    await asyncio.wait_for(running, GENEROUS)


class StoreLeases:
    """The store's side: who holds a name until when, and how many commands were sent."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[str, datetime]] = {}
        self.commands = 0

    async def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        self.commands += 1
        holder = self.held.get(name)
        if holder is not None and holder[0] != owner and holder[1] >= now:
            return False
        self.held[name] = (owner, until)
        return True

    async def release(self, name: str, owner: str) -> None:
        self.commands += 1
        if self.held.get(name, ("", None))[0] == owner:
            del self.held[name]


T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LIFE = timedelta(seconds=60)


async def test_a_held_lease_is_renewed_at_a_third_of_its_life_well_before_it_expires() -> None:
    store = StoreLeases()
    leases = RenewingLeases(store)

    for second in range(0, 61, 5):  # the relay asks on every step
        now = T0 + timedelta(seconds=second)
        assert await leases.acquire("event-relay", "me", now, now + LIFE)
        assert store.held["event-relay"][1] - now >= LIFE * 2 / 3  # never close to expiring in the store

    assert store.commands == 4  # at 0, 20, 40 and 60 s: 4 commands for 13 asks


async def test_a_lease_someone_else_holds_is_asked_for_every_time() -> None:
    store = StoreLeases()
    await store.acquire("event-relay", "other", T0, T0 + LIFE)
    leases = RenewingLeases(store)

    assert not await leases.acquire("event-relay", "me", T0, T0 + LIFE)
    assert not await leases.acquire("event-relay", "me", T0 + timedelta(seconds=1), T0 + LIFE)
    assert store.commands == 3


async def test_a_released_lease_is_asked_for_again() -> None:
    store = StoreLeases()
    leases = RenewingLeases(store)
    await leases.acquire("event-relay", "me", T0, T0 + LIFE)
    await leases.release("event-relay", "me")
    await store.acquire("event-relay", "other", T0, T0 + LIFE)

    assert not await leases.acquire("event-relay", "me", T0 + timedelta(seconds=1), T0 + LIFE)
