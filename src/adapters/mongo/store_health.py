import asyncio

import structlog

from adapters.mongo.client import DEFAULT_TIMEOUT_SECONDS, MongoAsyncClient
from domain.shared.ports import StoreHealth

logger = structlog.get_logger()


class MongoStoreHealth(StoreHealth):
    """Pings the server; logs only when the answer changes, since readiness probes ask every few seconds."""

    def __init__(self, client: MongoAsyncClient, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._client, self._timeout = client, timeout_seconds
        self._was_up: bool | None = None

    async def check(self) -> bool:
        try:
            await asyncio.wait_for(self._client.admin.command("ping"), self._timeout)
        except Exception as error:  # whatever stops an answer, a readiness probe only needs "down"
            if self._was_up is not False:
                logger.warning("store_down", error_type=type(error).__name__, error=str(error))
            self._was_up = False
            return False
        if self._was_up is False:
            logger.info("store_up")
        self._was_up = True
        return True
