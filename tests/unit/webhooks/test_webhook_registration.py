"""Registering webhook endpoints through the API and the configuration; what is refused, and what comes back."""

import json

import pydantic
import pytest

from domain.events.types import TypeFilter
from domain.shared.errors import ValidationError, WebhookNotFoundError
from domain.webhooks.destination import DestinationPolicy
from domain.webhooks.endpoint import EndpointSource, EndpointState
from domain.webhooks.use_cases.apply_configuration import ApplyWebhookConfiguration, ConfiguredWebhook
from domain.webhooks.use_cases.enable_webhook import EnableWebhook
from domain.webhooks.use_cases.register_webhook import RegisterWebhook, WebhookRegistration
from domain.webhooks.use_cases.replay_events import ReplayEvents
from entrypoints.settings import Settings
from tests.support.factories import event
from tests.unit.fakes import FixedClock, SequentialIdentifiers
from tests.unit.webhook_fakes import FakeEventLog, FakeWebhookEndpoints

SECRET = "s" * 30


async def world(allow_http: bool = False) -> tuple[RegisterWebhook, FakeWebhookEndpoints, FakeEventLog]:
    endpoints, events, clock = FakeWebhookEndpoints(), FakeEventLog(), FixedClock()
    for number in (1, 2):
        await events.append(event(number, created=clock.now()))
    register = RegisterWebhook(endpoints, events, SequentialIdentifiers(), clock, allow_http, DestinationPolicy())
    return register, endpoints, events


async def test_a_registered_endpoint_gets_a_secret_and_starts_after_the_last_event() -> None:
    register, endpoints, _ = await world()

    endpoint = await register(WebhookRegistration("https://shop.example/hooks", ["stk.*"], "orders"))

    assert endpoint.secret == "whsec_cb-secret-0001"
    assert endpoint.id.startswith("we_") and endpoint.delivered_through == 2
    assert endpoint.source is EndpointSource.API and endpoint.state is EndpointState.ENABLED
    assert endpoints.endpoints[endpoint.id] == endpoint
    assert "secret" not in endpoint.view()


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("http://shop.example/hooks", False),
        ("ftp://shop.example/hooks", True),
        ("https://user:pw@shop.example/hooks", False),
        ("https:///hooks", False),
        ("https://shop.example/hooks#part", False),
        ("https://shop.example/" + "x" * 2048, False),
    ],
)
async def test_bad_urls_are_refused_and_nothing_is_registered(url: str, allow_http: bool) -> None:
    register, endpoints, _ = await world(allow_http)

    with pytest.raises(ValidationError) as refused:
        await register(WebhookRegistration(url, ["*"]))

    assert refused.value.field == "url"
    assert endpoints.endpoints == {}


async def test_plain_http_is_allowed_where_the_setting_allows_it() -> None:
    register, _, _ = await world(allow_http=True)

    assert (await register(WebhookRegistration("http://shop.example:9000/hooks", ["*"]))).url.startswith("http://")


async def test_replay_and_enable_name_an_existing_endpoint() -> None:
    register, endpoints, events = await world()
    clock = FixedClock()

    with pytest.raises(WebhookNotFoundError):
        await ReplayEvents(endpoints, events, SequentialIdentifiers(), clock)("we_missing", 1, 2)
    with pytest.raises(WebhookNotFoundError):
        await EnableWebhook(endpoints)("we_missing")
    endpoint = await register(WebhookRegistration("https://shop.example/hooks", ["*"]))
    replay = await ReplayEvents(endpoints, events, SequentialIdentifiers(), clock)(endpoint.id, 1, 2)

    assert (replay.from_sequence, replay.to_sequence, replay.next_sequence) == (1, 2, 1)
    assert endpoints.replays == [replay]


async def test_configured_endpoints_keep_their_id_and_progress_across_starts() -> None:
    endpoints, events, clock = FakeWebhookEndpoints(), FakeEventLog(), FixedClock()
    configured = ConfiguredWebhook("https://shop.example/hooks", SECRET, TypeFilter.everything())
    await ApplyWebhookConfiguration(endpoints, events, clock, [configured])()
    endpoints.endpoints[configured.endpoint_id].passed(5)

    await ApplyWebhookConfiguration(endpoints, events, clock, [configured])()

    [endpoint] = endpoints.endpoints.values()
    assert endpoint.id == configured.endpoint_id and endpoint.id.startswith("we_cfg_")
    assert endpoint.delivered_through == 5 and endpoint.source is EndpointSource.CONFIGURATION


def test_webhook_endpoints_are_read_from_the_configuration() -> None:
    listed = [{"url": "https://shop.example/a", "secret": SECRET, "event_types": ["b2c.*"], "description": "payouts"}]

    [configured] = Settings(webhook_endpoints=json.dumps(listed)).configured_webhooks()  # type: ignore[arg-type]

    assert configured.url == "https://shop.example/a" and configured.types == TypeFilter(("b2c.*",))
    assert configured.description == "payouts"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("not json", "JSON list"),
        ('{"url": "https://a.example"}', "list of objects"),
        (json.dumps([{"url": "https://a.example", "secret": "short"}]), "at least 24"),
        (json.dumps([{"url": "https://a.example", "secret": SECRET, "event_types": ["stk.paid"]}]), "stk.paid"),
        (json.dumps([{"url": "https://a.example", "secret": SECRET, "colour": "red"}]), "only url"),
        (json.dumps([{"url": "ftp://a.example", "secret": SECRET}]), "scheme"),
    ],
)
def test_a_bad_webhook_configuration_stops_start_up_naming_the_fault(value: str, says: str) -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        Settings(webhook_endpoints=value)  # type: ignore[arg-type]

    assert "WEBHOOK_ENDPOINTS" in str(refused.value) and says in str(refused.value)


def test_plain_http_endpoints_are_refused_outside_the_simulator_unless_allowed() -> None:
    sandbox = {
        "mpesa_env": "sandbox",
        "daraja_consumer_key": "key",
        "daraja_consumer_secret": "secret",
        "daraja_shortcode": "174379",
        "daraja_passkey": "passkey",
        "b2c_initiator_password": "password",
        "callback_base_url": "https://gateway.example",
        "client_token_keys": "k1:" + "s" * 32,
    }
    listed = json.dumps([{"url": "http://shop.example/a", "secret": SECRET}])

    with pytest.raises(pydantic.ValidationError):
        Settings(**sandbox, webhook_endpoints=listed)  # type: ignore[arg-type]
    assert Settings(**sandbox, webhook_endpoints=listed, webhook_allow_http=True).configured_webhooks()  # type: ignore[arg-type]
    assert Settings().webhooks_allow_http() and not Settings(**sandbox).webhooks_allow_http()  # type: ignore[arg-type]
