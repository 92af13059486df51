"""A broadcaster that also wakes this process's event relay.

Every write of a payment's or withdrawal's state is followed by its broadcast (the use-cases publish what they
stored), and every such write leaves its events waiting in the outbox: a publish is the in-process signal that
the event relay has work, and its topic says which kind of record to look at."""

from collections.abc import Callable, Mapping
from typing import Any

from domain.events.ports import Broadcaster


class WakingBroadcaster(Broadcaster):
    def __init__(self, inner: Broadcaster, published: Callable[[str], None]) -> None:
        self._inner, self._published = inner, published

    async def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        await self._inner.publish(topic, data)
        self._published(topic)
