from collections.abc import Mapping
from typing import Any

import msgspec
from litestar.channels import ChannelsPlugin

from domain.ports import Broadcaster

_encoder = msgspec.json.Encoder()


class ChannelsBroadcaster(Broadcaster):
    """Fans updates out through Litestar's channels plugin: one channel per topic, encoded once per update."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self._channels = channels

    async def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        self._channels.publish(_encoder.encode({"kind": "update", "topic": topic, "data": data}), topic)
