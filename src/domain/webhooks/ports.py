"""What the webhooks use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from typing import Protocol

from domain.events.event import Event
from domain.webhooks.delivery import Delivery, DeliveryAttempt
from domain.webhooks.endpoint import WebhookEndpoint
from domain.webhooks.replay import Replay


class WebhookDeliveries(Protocol):
    """The delivery log: per endpoint and event (and replay), every attempt."""

    @abstractmethod
    async def record(self, endpoint_id: str, event: Event, replay_id: str | None, attempt: DeliveryAttempt) -> None:
        """Append `attempt` to the delivery of `event` to the endpoint, creating the delivery on its first attempt."""

    @abstractmethod
    async def of_endpoint(self, endpoint_id: str, limit: int) -> list[Delivery]:
        """The endpoint's most recent deliveries, newest first."""


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


class WebhookSender(Protocol):
    @abstractmethod
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryAttempt:
        """POST `body` once, never following a redirect; every failure (no answer, any status) is in the attempt.

        The host is resolved and checked against the destination policy for each connection; when no address it
        resolves to is allowed, nothing is sent and the attempt is `DeliveryAttempt.not_allowed`.
        """
