import structlog

from domain.shared.errors import WebhookNotFoundError
from domain.webhooks.endpoint import WebhookEndpoint
from domain.webhooks.ports import WebhookEndpoints

logger = structlog.get_logger()


class EnableWebhook:
    """Enable a disabled endpoint (or retry a failing one now): the event it was held at is sent first."""

    def __init__(self, endpoints: WebhookEndpoints) -> None:
        self._endpoints = endpoints

    async def __call__(self, endpoint_id: str) -> WebhookEndpoint:
        endpoint = await self._endpoints.by_id(endpoint_id)
        if endpoint is None:
            raise WebhookNotFoundError(endpoint_id)
        endpoint.enable()
        await self._endpoints.save(endpoint)
        logger.info("webhook_endpoint_enabled", endpoint_id=endpoint_id, delivered_through=endpoint.delivered_through)
        return endpoint
