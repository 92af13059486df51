"""Read registered webhook endpoints: all of them, or one by id."""

from domain.shared.errors import WebhookNotFoundError
from domain.webhooks.endpoint import WebhookEndpoint
from domain.webhooks.ports import WebhookEndpoints


class WebhookDetails:
    def __init__(self, endpoints: WebhookEndpoints) -> None:
        self._endpoints = endpoints

    async def all(self) -> list[WebhookEndpoint]:
        return await self._endpoints.all()

    async def __call__(self, endpoint_id: str) -> WebhookEndpoint:
        endpoint = await self._endpoints.by_id(endpoint_id)
        if endpoint is None:
            raise WebhookNotFoundError(endpoint_id)
        return endpoint
