from domain.shared.errors import WebhookNotFoundError
from domain.webhooks.delivery import Delivery
from domain.webhooks.ports import WebhookDeliveries, WebhookEndpoints


class ListDeliveries:
    """An endpoint's delivery log, newest first: each delivery with every attempt's status, latency and error."""

    def __init__(self, endpoints: WebhookEndpoints, deliveries: WebhookDeliveries) -> None:
        self._endpoints, self._deliveries = endpoints, deliveries

    async def __call__(self, endpoint_id: str, limit: int) -> list[Delivery]:
        if await self._endpoints.by_id(endpoint_id) is None:
            raise WebhookNotFoundError(endpoint_id)
        return await self._deliveries.of_endpoint(endpoint_id, limit)
