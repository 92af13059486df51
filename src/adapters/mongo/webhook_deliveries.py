"""The delivery log: `webhook_deliveries` and `webhook_attempts`."""

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from adapters.mongo.client import MongoDatabase
from adapters.mongo.leases import epoch_ms
from adapters.mongo.store_errors import translates_store_errors
from domain.events.event import Event
from domain.webhooks.delivery import Delivery, DeliveryAttempt, delivery_id
from domain.webhooks.ports import WebhookDeliveries

_DELIVERIES = "webhook_deliveries"
_ATTEMPTS = "webhook_attempts"


class MongoWebhookDeliveries(WebhookDeliveries):
    """A delivery document per endpoint and event (and replay), and an attempt document per POST, inserted once.

    Attempts are documents of their own rather than a `$push`ed array: nx-27017 stores a subdocument pushed by an
    update that also sets other fields as JSON text.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._deliveries, self._attempts = database[_DELIVERIES], database[_ATTEMPTS]

    @translates_store_errors
    async def record(self, endpoint_id: str, event: Event, replay_id: str | None, attempt: DeliveryAttempt) -> None:
        delivery = delivery_id(endpoint_id, event.id, replay_id)
        await self._attempts.insert_one(
            {
                "delivery_id": delivery,
                "at_ms": epoch_ms(attempt.at),
                "status_code": attempt.status_code,
                "latency_ms": attempt.latency_ms,
                "error": attempt.error,
            }
        )
        await self._deliveries.update_one(
            {"delivery_id": delivery},
            {
                "$setOnInsert": {
                    "endpoint_id": endpoint_id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "sequence": event.sequence,
                    "replay_id": replay_id,
                    "created_ms": epoch_ms(attempt.at),
                },
                "$set": {"state": "delivered" if attempt.succeeded else "failing", "updated_ms": epoch_ms(attempt.at)},
            },
            upsert=True,
        )

    @translates_store_errors
    async def of_endpoint(self, endpoint_id: str, limit: int) -> list[Delivery]:
        if limit <= 0:
            return []
        cursor = self._deliveries.find(
            {"endpoint_id": endpoint_id}, sort=[("created_ms", DESCENDING), ("sequence", DESCENDING)], limit=limit
        )
        return [await self._delivery(stored) async for stored in cursor]

    async def _delivery(self, stored: dict[str, Any]) -> Delivery:
        attempts = self._attempts.find({"delivery_id": stored["delivery_id"]}, sort=[("at_ms", ASCENDING)])
        return Delivery(
            id=stored["delivery_id"],
            endpoint_id=stored["endpoint_id"],
            event_id=stored["event_id"],
            event_type=stored["event_type"],
            sequence=stored["sequence"],
            replay_id=stored.get("replay_id"),
            delivered=stored.get("state") == "delivered",
            attempts=[_attempt(attempt) async for attempt in attempts],
        )


def _attempt(stored: dict[str, Any]) -> DeliveryAttempt:
    return DeliveryAttempt(
        at=datetime.fromtimestamp(stored["at_ms"] / 1000, tz=UTC),
        status_code=stored.get("status_code"),
        latency_ms=stored.get("latency_ms", 0),
        error=stored.get("error"),
    )
