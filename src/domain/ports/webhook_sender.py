from abc import abstractmethod
from typing import Protocol

from domain.webhook_delivery import DeliveryAttempt


class WebhookSender(Protocol):
    @abstractmethod
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryAttempt:
        """POST `body` once, never following a redirect; every failure (no answer, any status) is in the attempt."""
