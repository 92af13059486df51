from collections.abc import Mapping
from typing import Any

import structlog

from domain.events.ports import Broadcaster

logger = structlog.get_logger()


class NoSubscribersBroadcaster(Broadcaster):
    """For a process that serves no sockets (`mpesa-gateway worker`): nobody here could hear an update."""

    async def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        logger.debug("update_not_broadcast", topic=topic, status=data.get("status"))
