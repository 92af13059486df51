from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, Protocol


class Broadcaster(Protocol):
    @abstractmethod
    async def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        """Deliver `data` as an update to every client subscribed to `topic`; never raises for lack of listeners."""
