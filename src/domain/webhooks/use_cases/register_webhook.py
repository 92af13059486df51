"""Register a webhook endpoint through the API: the gateway makes its secret and shows it this once."""

from dataclasses import dataclass

from domain.events.ports import EventLog
from domain.events.types import TypeFilter
from domain.shared.ports import Clock, Identifiers
from domain.webhooks.destination import DestinationPolicy
from domain.webhooks.endpoint import EndpointSource, WebhookEndpoint, checked_description, checked_url
from domain.webhooks.ports import WebhookEndpoints

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True, slots=True)
class WebhookRegistration:
    url: str
    event_types: list[str]
    description: str = ""


class RegisterWebhook:
    """A new endpoint receives the events numbered after the feed's last one when it was registered (earlier
    ones can be replayed)."""

    def __init__(
        self,
        endpoints: WebhookEndpoints,
        events: EventLog,
        identifiers: Identifiers,
        clock: Clock,
        allow_http: bool,
        destinations: DestinationPolicy,
    ) -> None:
        self._endpoints, self._events, self._identifiers, self._clock = endpoints, events, identifiers, clock
        self._allow_http, self._destinations = allow_http, destinations

    async def __call__(self, registration: WebhookRegistration) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(
            id=f"we_{self._identifiers.new_id()[:24]}",
            url=checked_url(registration.url, allow_http=self._allow_http, destinations=self._destinations),
            secret=f"{SECRET_PREFIX}{self._identifiers.new_secret()}",
            types=TypeFilter.parse(registration.event_types),
            description=checked_description(registration.description),
            source=EndpointSource.API,
            created_at=self._clock.now(),
            delivered_through=await self._events.last_sequence(),
        )
        await self._endpoints.add(endpoint)
        return endpoint
