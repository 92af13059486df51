from collections.abc import Mapping
from typing import Any

import msgspec
import structlog
from litestar.channels import ChannelsPlugin

from domain.events.ports import Broadcaster

logger = structlog.get_logger()
_encoder = msgspec.json.Encoder()


class ChannelsBroadcaster(Broadcaster):
    """Fans updates out through Litestar's channels plugin: one channel per topic, encoded once per update."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self._channels = channels

    async def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        try:
            self._channels.publish(_encoder.encode({"kind": "update", "topic": topic, "data": data}), topic)
        except Exception:
            # Best effort by design: the store already holds the change, and a client asking `status` sees it.
            logger.exception("broadcast_failed", topic=topic)
