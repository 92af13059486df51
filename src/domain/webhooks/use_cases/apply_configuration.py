"""Endpoints named in the configuration (WEBHOOK_ENDPOINTS) are registered at start-up, idempotently."""

import hashlib
from dataclasses import dataclass

import structlog

from domain.events.ports import EventLog
from domain.events.types import TypeFilter
from domain.shared.ports import Clock
from domain.webhooks.endpoint import EndpointSource, WebhookEndpoint
from domain.webhooks.ports import WebhookEndpoints

logger = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class ConfiguredWebhook:
    """Already validated where the configuration is read."""

    url: str
    secret: str
    types: TypeFilter
    description: str = ""

    @property
    def endpoint_id(self) -> str:
        # The same URL is the same endpoint at every start and on every instance: its progress survives restarts.
        return f"we_cfg_{hashlib.sha256(self.url.encode()).hexdigest()[:20]}"


class ApplyWebhookConfiguration:
    def __init__(
        self, endpoints: WebhookEndpoints, events: EventLog, clock: Clock, configured: list[ConfiguredWebhook]
    ) -> None:
        self._endpoints, self._events, self._clock, self._configured = endpoints, events, clock, configured

    async def __call__(self) -> None:
        if not self._configured:
            return
        last = await self._events.last_sequence()
        for webhook in self._configured:
            await self._endpoints.put_configured(
                WebhookEndpoint(
                    id=webhook.endpoint_id,
                    url=webhook.url,
                    secret=webhook.secret,
                    types=webhook.types,
                    description=webhook.description,
                    source=EndpointSource.CONFIGURATION,
                    created_at=self._clock.now(),
                    delivered_through=last,
                )
            )
        logger.info("webhooks_configured", endpoints=[webhook.endpoint_id for webhook in self._configured])
