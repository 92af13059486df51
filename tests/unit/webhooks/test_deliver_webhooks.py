"""Delivering the feed to endpoints: signed, in order, one held event at a time, retried, disabled, replayed."""

import json
from datetime import timedelta

import pytest

from domain.shared.errors import ValidationError
from domain.webhooks.endpoint import EndpointState, WebhookEndpoint
from domain.webhooks.replay import Replay
from domain.webhooks.retry import RetrySchedule
from domain.webhooks.signature import verify
from domain.webhooks.use_cases.deliver import DeliverWebhooks
from tests.support.factories import CREATED_AT, WEBHOOK_SECRET, event, webhook_endpoint
from tests.unit.fakes import FixedClock, FixedRandom
from tests.unit.webhook_fakes import (
    FakeEventLog,
    FakeLeases,
    FakeWebhookDeliveries,
    FakeWebhookEndpoints,
    FakeWebhookSender,
)

SECRET = WEBHOOK_SECRET
SCHEDULE = RetrySchedule(timedelta(seconds=10), timedelta(minutes=5), timedelta(hours=1))


class World:
    def __init__(self, *script: int | None) -> None:
        self.clock = FixedClock()
        self.events = FakeEventLog()
        self.endpoints = FakeWebhookEndpoints()
        self.deliveries = FakeWebhookDeliveries()
        self.sender = FakeWebhookSender(self.clock, *script)
        self.leases = FakeLeases()
        self.deliver = DeliverWebhooks(
            self.endpoints,
            self.events,
            self.deliveries,
            self.sender,
            self.leases,
            self.clock,
            FixedRandom(0.0),
            SCHEDULE,
            owner="me",
            lease_seconds=60,
            concurrency=4,
        )

    async def happen(self, *types: str) -> None:
        for type_ in types:
            number = len(self.events.events) + 1
            await self.events.append(event(number, type_, data={"n": number}))

    async def endpoint(self, types: list[str] | None = None, endpoint_id: str = "we_1") -> None:
        await self.endpoints.add(webhook_endpoint(endpoint_id, types))

    def sent_sequences(self) -> list[int]:
        return [json.loads(posted.body)["sequence"] for posted in self.sender.posted]

    def stored(self, endpoint_id: str = "we_1") -> WebhookEndpoint:
        return self.endpoints.endpoints[endpoint_id]


async def test_events_are_posted_in_order_signed_with_the_event_id_in_a_header() -> None:
    world = World()
    await world.endpoint()
    await world.happen("stk.pending", "stk.succeeded", "b2c.queued")

    delivered = await world.deliver()

    assert delivered == 3
    assert world.sent_sequences() == [1, 2, 3]
    for posted in world.sender.posted:
        body = json.loads(posted.body)
        assert set(body) == {"id", "type", "sequence", "created", "data"}
        assert posted.headers["Mpesa-Event-Id"] == body["id"]
        assert verify(SECRET, posted.headers["Mpesa-Signature"], posted.body, int(world.clock.now().timestamp()))
    assert world.stored().delivered_through == 3


async def test_only_the_endpoints_types_are_sent_and_the_others_are_passed() -> None:
    world = World()
    await world.endpoint(["stk.succeeded"])
    await world.happen("stk.pending", "stk.succeeded", "b2c.queued")

    await world.deliver()

    assert world.sent_sequences() == [2]
    assert world.stored().delivered_through == 3


async def test_a_failure_holds_the_later_events_until_the_retry_is_due() -> None:
    world = World(500)
    await world.endpoint()
    await world.happen("stk.pending", "stk.succeeded")

    first = await world.deliver()
    too_soon = await world.deliver()
    world.clock.advance(seconds=5)
    retried = await world.deliver()

    assert (first, too_soon, retried) == (0, 0, 2)
    assert world.sent_sequences() == [1, 1, 2]
    assert world.stored().failed_attempts == 0 and world.stored().failing_since is None


async def test_each_failure_waits_longer_and_the_delivery_log_keeps_every_attempt() -> None:
    world = World(500, None, 503)
    await world.endpoint()
    await world.happen("stk.succeeded")
    waits = []
    for _ in range(4):
        await world.deliver()
        endpoint = world.stored()
        if endpoint.next_attempt_at is not None:
            waits.append(endpoint.next_attempt_at - world.clock.now())
            world.clock.set(endpoint.next_attempt_at)

    [delivery] = await world.deliveries.of_endpoint("we_1", 10)
    assert waits == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert [a.status_code for a in delivery.attempts] == [500, None, 503, 200]
    assert delivery.attempts[1].error and delivery.delivered


async def test_an_endpoint_failing_for_the_whole_retry_period_is_disabled_and_keeps_its_events() -> None:
    world = World(*([500] * 100))
    await world.endpoint()
    await world.happen("stk.succeeded", "stk.failed")

    for _ in range(100):
        await world.deliver()
        endpoint = world.stored()
        if endpoint.state is EndpointState.DISABLED or endpoint.next_attempt_at is None:
            break
        world.clock.set(endpoint.next_attempt_at)
    attempts_when_disabled = len(world.sender.posted)
    world.clock.advance(hours=5)
    await world.deliver()

    endpoint = world.stored()
    assert endpoint.state is EndpointState.DISABLED
    assert endpoint.disabled_at is not None and endpoint.failing_since is not None
    assert endpoint.disabled_at - endpoint.failing_since >= SCHEDULE.give_up_after
    assert len(world.sender.posted) == attempts_when_disabled
    assert endpoint.delivered_through == 0


async def test_enabling_resumes_from_the_held_event() -> None:
    world = World()
    await world.endpoint()
    await world.happen("stk.succeeded", "stk.failed")
    endpoint = world.stored()
    endpoint.state, endpoint.failing_since = EndpointState.DISABLED, CREATED_AT
    endpoint.enable()
    await world.endpoints.save(endpoint)

    await world.deliver()

    assert world.sent_sequences() == [1, 2]


async def test_a_replay_sends_exactly_its_range_of_wanted_types_before_live_events() -> None:
    world = World()
    await world.endpoint(["stk.*"])
    await world.happen("stk.pending", "b2c.queued", "stk.succeeded", "stk.failed", "stk.pending")
    endpoint = world.stored()
    endpoint.passed(4)
    await world.endpoints.save(endpoint)
    await world.endpoints.add_replay(Replay.of_range("rp_1", "we_1", 2, 4, 5, CREATED_AT))

    await world.deliver()

    assert world.sent_sequences() == [3, 4, 5]
    assert world.endpoints.replays[0].finished
    assert {d.replay_id for d in world.deliveries.deliveries.values()} == {"rp_1", None}


async def test_an_endpoint_leased_by_another_instance_is_left_alone() -> None:
    world = World()
    await world.endpoint()
    await world.happen("stk.succeeded")
    await world.leases.acquire("webhook-endpoint:we_1", "other", world.clock.now(), world.clock.now() + timedelta(60))

    assert await world.deliver() == 0
    assert world.sender.posted == []


async def test_one_failing_endpoint_does_not_hold_up_another() -> None:
    world = World(500)
    await world.endpoint(endpoint_id="we_1")
    await world.endpoint(endpoint_id="we_2")
    await world.happen("stk.succeeded")

    await world.deliver()

    assert [posted.url.rsplit("/", 1)[1] for posted in world.sender.posted] == ["we_1", "we_2"]
    assert world.stored("we_2").delivered_through == 1
    assert world.stored("we_1").delivered_through == 0


@pytest.mark.parametrize(
    ("first", "last", "field"), [(0, 2, "from_sequence"), (3, 2, "to_sequence"), (1, 9, "to_sequence")]
)
def test_a_replay_range_outside_the_feed_is_refused(first: int, last: int, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Replay.of_range("rp", "we", first, last, 5, CREATED_AT)

    assert refused.value.field == field


async def test_a_refused_destination_is_logged_generically_and_disabled_at_once_keeping_its_events() -> None:
    world = World()
    await world.endpoint()
    world.sender.refused.add("https://merchant.example/we_1")
    await world.happen("stk.succeeded", "stk.failed")

    refused_at = world.clock.now()
    await world.deliver()
    world.clock.advance(hours=5)
    await world.deliver()

    endpoint = world.stored()
    [delivery] = await world.deliveries.of_endpoint("we_1", 10)
    assert [attempt.view() for attempt in delivery.attempts] == [
        {"at": refused_at.isoformat(), "status_code": None, "latency_ms": 0, "error": "destination not allowed"}
    ]
    assert endpoint.state is EndpointState.DISABLED and endpoint.last_error == "destination not allowed"
    assert endpoint.delivered_through == 0 and world.sender.posted == []


async def test_an_endpoint_refused_then_enabled_once_its_destination_is_allowed_gets_every_held_event() -> None:
    world = World()
    await world.endpoint()
    world.sender.refused.add("https://merchant.example/we_1")
    await world.happen("stk.succeeded", "stk.failed")
    await world.deliver()
    world.sender.refused.clear()
    endpoint = world.stored()
    endpoint.enable()
    await world.endpoints.save(endpoint)

    await world.deliver()

    assert world.sent_sequences() == [1, 2]
    assert world.stored().state is EndpointState.ENABLED
