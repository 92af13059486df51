from abc import abstractmethod
from typing import Protocol

from domain.event import Event
from domain.webhook_delivery import Delivery, DeliveryAttempt


class WebhookDeliveries(Protocol):
    """The delivery log: per endpoint and event (and replay), every attempt."""

    @abstractmethod
    async def record(self, endpoint_id: str, event: Event, replay_id: str | None, attempt: DeliveryAttempt) -> None:
        """Append `attempt` to the delivery of `event` to the endpoint, creating the delivery on its first attempt."""

    @abstractmethod
    async def of_endpoint(self, endpoint_id: str, limit: int) -> list[Delivery]:
        """The endpoint's most recent deliveries, newest first."""
