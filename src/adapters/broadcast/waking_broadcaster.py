"""A broadcaster that also wakes this process's background loops.

Every write of a payment's or withdrawal's state is followed by its broadcast (the use-cases publish what they
stored), and every such write leaves its events waiting in the outbox: a publish is the in-process signal that
the event relay has work, so the relay looks now instead of at the end of its idle wait."""

from collections.abc import Callable, Mapping
from typing import Any

from domain.ports import Broadcaster


class WakingBroadcaster(Broadcaster):
    def __init__(self, inner: Broadcaster, wake: Callable[[], None]) -> None:
        self._inner, self._wake = inner, wake

    async def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        await self._inner.publish(topic, data)
        self._wake()
