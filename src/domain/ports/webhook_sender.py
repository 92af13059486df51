from abc import abstractmethod
from typing import Protocol

from domain.webhook_delivery import DeliveryAttempt


class WebhookSender(Protocol):
    @abstractmethod
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryAttempt:
        """POST `body` once, never following a redirect; every failure (no answer, any status) is in the attempt.

        The host is resolved and checked against the destination policy for each connection; when no address it
        resolves to is allowed, nothing is sent and the attempt is `DeliveryAttempt.not_allowed`.
        """
