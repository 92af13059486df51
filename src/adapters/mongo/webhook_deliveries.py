"""The delivery log (`webhook_deliveries`): one document per endpoint and event (and replay), attempts appended."""

from datetime import datetime
from typing import Any

from odmantic import AIOEngine
from pymongo import DESCENDING

from adapters.mongo.leases import epoch_ms
from adapters.mongo.store_errors import translates_store_errors
from domain.event import Event
from domain.ports.webhook_deliveries import WebhookDeliveries
from domain.webhook_delivery import Delivery, DeliveryAttempt, delivery_id

_COLLECTION = "webhook_deliveries"


class MongoWebhookDeliveries(WebhookDeliveries):
    def __init__(self, engine: AIOEngine) -> None:
        self._deliveries = engine.database[_COLLECTION]

    @translates_store_errors
    async def record(self, endpoint_id: str, event: Event, replay_id: str | None, attempt: DeliveryAttempt) -> None:
        # Attempt times are ISO text: they are only ever shown, and a `$push`ed datetime is not trusted on nx-27017.
        await self._deliveries.update_one(
            {"delivery_id": delivery_id(endpoint_id, event.id, replay_id)},
            {
                "$setOnInsert": {
                    "endpoint_id": endpoint_id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "sequence": event.sequence,
                    "replay_id": replay_id,
                    "created_ms": epoch_ms(attempt.at),
                },
                "$set": {"delivered": attempt.succeeded, "updated_ms": epoch_ms(attempt.at)},
                "$push": {"attempts": {**attempt.view()}},
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
        return [_delivery(stored) async for stored in cursor]


def _delivery(stored: dict[str, Any]) -> Delivery:
    return Delivery(
        id=stored["delivery_id"],
        endpoint_id=stored["endpoint_id"],
        event_id=stored["event_id"],
        event_type=stored["event_type"],
        sequence=stored["sequence"],
        replay_id=stored.get("replay_id"),
        delivered=bool(stored.get("delivered")),
        attempts=[
            DeliveryAttempt(
                at=datetime.fromisoformat(attempt["at"]),
                status_code=attempt.get("status_code"),
                latency_ms=attempt.get("latency_ms", 0),
                error=attempt.get("error"),
            )
            for attempt in stored.get("attempts", [])
        ],
    )
