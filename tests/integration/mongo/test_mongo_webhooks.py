"""Leases, webhook endpoints, replays and the delivery log against the embedded store."""

from datetime import timedelta

from adapters.mongo.client import MongoDatabase
from adapters.mongo.leases import MongoLeases
from adapters.mongo.webhook_deliveries import MongoWebhookDeliveries
from adapters.mongo.webhook_endpoints import MongoWebhookEndpoints
from domain.events.types import TypeFilter
from domain.webhooks.delivery import DeliveryAttempt
from domain.webhooks.endpoint import EndpointSource, EndpointState, WebhookEndpoint
from domain.webhooks.replay import Replay
from tests.support.factories import CREATED_AT, event, webhook_endpoint

LATER = CREATED_AT + timedelta(minutes=5)


def endpoint(endpoint_id: str = "we_1", source: EndpointSource = EndpointSource.API) -> WebhookEndpoint:
    """Unlike the factory's default in every field the store keeps, so a read-back proves each one is kept."""
    return webhook_endpoint(
        endpoint_id,
        ["stk.*", "b2c.failed"],
        url="https://merchant.example/hooks",
        description="orders",
        source=source,
        delivered_through=7,
    )


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(database: MongoDatabase) -> None:
    leases = MongoLeases(database)
    until = CREATED_AT + timedelta(seconds=60)

    first = await leases.acquire("relay", "a", CREATED_AT, until)
    renewed = await leases.acquire("relay", "a", CREATED_AT + timedelta(seconds=1), until)
    refused = await leases.acquire("relay", "b", CREATED_AT + timedelta(seconds=30), until)
    taken_over = await leases.acquire("relay", "b", CREATED_AT + timedelta(seconds=61), LATER)
    await leases.release("relay", "b")
    after_release = await leases.acquire("relay", "c", CREATED_AT + timedelta(seconds=62), LATER)

    assert (first, renewed, refused, taken_over, after_release) == (True, True, False, True, True)


async def test_an_endpoint_round_trips_and_its_progress_is_saved(database: MongoDatabase) -> None:
    endpoints = MongoWebhookEndpoints(database)
    registered = endpoint()
    await endpoints.add(registered)
    registered.passed(9)
    registered.failing_since, registered.failed_attempts, registered.next_attempt_at = CREATED_AT, 3, LATER
    registered.state, registered.disabled_at, registered.last_error = EndpointState.DISABLED, LATER, "HTTP 500"

    await endpoints.save(registered)

    assert await endpoints.by_id("we_1") == registered
    assert await endpoints.all() == [registered]
    assert await endpoints.by_id("we_2") is None


async def test_a_configured_endpoint_is_updated_but_keeps_its_progress(database: MongoDatabase) -> None:
    endpoints = MongoWebhookEndpoints(database)
    configured = endpoint("we_cfg", EndpointSource.CONFIGURATION)
    await endpoints.put_configured(configured)
    configured.passed(20)
    await endpoints.save(configured)
    changed = endpoint("we_cfg", EndpointSource.CONFIGURATION)
    changed.secret, changed.types = "whsec_rotated_secret_value", TypeFilter.everything()

    await endpoints.put_configured(changed)

    found = await endpoints.by_id("we_cfg")
    assert found is not None
    assert found.secret == "whsec_rotated_secret_value" and found.types == TypeFilter.everything()
    assert found.delivered_through == 20


async def test_removing_an_endpoint_removes_its_replays(database: MongoDatabase) -> None:
    endpoints = MongoWebhookEndpoints(database)
    await endpoints.add(endpoint())
    await endpoints.add_replay(Replay.of_range("rp_1", "we_1", 1, 5, 10, CREATED_AT))

    assert await endpoints.remove("we_1") is True
    assert await endpoints.remove("we_1") is False
    assert await endpoints.open_replay("we_1") is None


async def test_replays_are_served_oldest_first_until_finished(database: MongoDatabase) -> None:
    endpoints = MongoWebhookEndpoints(database)
    await endpoints.add_replay(Replay.of_range("rp_1", "we_1", 1, 2, 10, CREATED_AT))
    await endpoints.add_replay(Replay.of_range("rp_2", "we_1", 5, 6, 10, LATER))

    first = await endpoints.open_replay("we_1")
    assert first is not None and first.id == "rp_1"
    first.passed(2)
    await endpoints.save_replay(first)
    second = await endpoints.open_replay("we_1")

    assert second is not None and second.id == "rp_2" and second.next_sequence == 5


async def test_the_delivery_log_keeps_every_attempt_of_each_delivery(database: MongoDatabase) -> None:
    deliveries = MongoWebhookDeliveries(database)
    first = event(1, "stk.succeeded", sequence=1)
    second = event(2, "stk.failed", sequence=2)
    failed = DeliveryAttempt(CREATED_AT, None, 5002, "timed out (ReadTimeout)")
    succeeded = DeliveryAttempt(CREATED_AT + timedelta(seconds=10), 200, 12)

    await deliveries.record("we_1", first, None, failed)
    await deliveries.record("we_1", first, None, succeeded)
    await deliveries.record("we_1", second, "rp_1", DeliveryAttempt(LATER, 500, 7))

    newest, oldest = await deliveries.of_endpoint("we_1", 10)
    assert (newest.event_id, newest.replay_id, newest.delivered) == ("evt_2", "rp_1", False)
    assert (oldest.event_id, oldest.delivered, oldest.sequence) == ("evt_1", True, 1)
    assert oldest.attempts == [failed, succeeded]
    assert await deliveries.of_endpoint("we_2", 10) == []
