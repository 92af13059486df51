from abc import abstractmethod
from typing import Protocol

from domain.webhook_endpoint import WebhookEndpoint
from domain.webhook_replay import Replay


class WebhookEndpoints(Protocol):
    """Registered endpoints and the replays asked of them."""

    @abstractmethod
    async def add(self, endpoint: WebhookEndpoint) -> None: ...

    @abstractmethod
    async def put_configured(self, endpoint: WebhookEndpoint) -> None:
        """Register an endpoint from the configuration, or update its url, secret, types and description; its
        delivery progress is kept."""

    @abstractmethod
    async def by_id(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    @abstractmethod
    async def all(self) -> list[WebhookEndpoint]:
        """Every endpoint, oldest first."""

    @abstractmethod
    async def save(self, endpoint: WebhookEndpoint) -> None:
        """Store the endpoint's state and delivery progress."""

    @abstractmethod
    async def remove(self, endpoint_id: str) -> bool:
        """False when there was no such endpoint."""

    @abstractmethod
    async def add_replay(self, replay: Replay) -> None: ...

    @abstractmethod
    async def open_replay(self, endpoint_id: str) -> Replay | None:
        """The oldest replay of the endpoint not finished yet."""

    @abstractmethod
    async def save_replay(self, replay: Replay) -> None: ...
