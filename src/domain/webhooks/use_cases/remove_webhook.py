from domain.shared.errors import WebhookNotFoundError
from domain.webhooks.ports import WebhookEndpoints


class RemoveWebhook:
    """Stop sending to an endpoint; its delivery log is kept. A configured endpoint comes back at the next start
    unless it is taken out of WEBHOOK_ENDPOINTS."""

    def __init__(self, endpoints: WebhookEndpoints) -> None:
        self._endpoints = endpoints

    async def __call__(self, endpoint_id: str) -> None:
        if not await self._endpoints.remove(endpoint_id):
            raise WebhookNotFoundError(endpoint_id)
