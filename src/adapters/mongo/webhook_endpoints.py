"""Webhook endpoints (`webhook_endpoints`) and their replays (`webhook_replays`), both small collections.

Times are integer epoch milliseconds: the delivery progress is written with targeted `$set`s (nx-27017 would store a
datetime given to `$set` as a string), and the deliverer writes an endpoint only while it holds that endpoint's lease.
"""

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING

from adapters.mongo.client import MongoDatabase
from adapters.mongo.leases import epoch_ms
from adapters.mongo.store_errors import translates_store_errors
from domain.events.types import TypeFilter
from domain.webhooks.endpoint import EndpointSource, EndpointState, WebhookEndpoint
from domain.webhooks.ports import WebhookEndpoints
from domain.webhooks.replay import Replay

_ENDPOINTS = "webhook_endpoints"
_REPLAYS = "webhook_replays"


class MongoWebhookEndpoints(WebhookEndpoints):
    def __init__(self, database: MongoDatabase) -> None:
        self._endpoints, self._replays = database[_ENDPOINTS], database[_REPLAYS]

    @translates_store_errors
    async def add(self, endpoint: WebhookEndpoint) -> None:
        await self._endpoints.insert_one(
            {**_identity(endpoint), **_progress(endpoint), "created_ms": _ms(endpoint.created_at)}
        )

    @translates_store_errors
    async def put_configured(self, endpoint: WebhookEndpoint) -> None:
        await self._endpoints.update_one(
            {"endpoint_id": endpoint.id},
            {
                "$set": {key: value for key, value in _identity(endpoint).items() if key != "endpoint_id"},
                "$setOnInsert": {**_progress(endpoint), "created_ms": _ms(endpoint.created_at)},
            },
            upsert=True,
        )

    @translates_store_errors
    async def by_id(self, endpoint_id: str) -> WebhookEndpoint | None:
        stored = await self._endpoints.find_one({"endpoint_id": endpoint_id})
        return None if stored is None else _endpoint(stored)

    @translates_store_errors
    async def all(self) -> list[WebhookEndpoint]:
        cursor = self._endpoints.find({}, sort=[("created_ms", ASCENDING), ("endpoint_id", ASCENDING)])
        return [_endpoint(stored) async for stored in cursor]

    @translates_store_errors
    async def save(self, endpoint: WebhookEndpoint) -> None:
        await self._endpoints.update_one({"endpoint_id": endpoint.id}, {"$set": _progress(endpoint)})

    @translates_store_errors
    async def remove(self, endpoint_id: str) -> bool:
        removed = await self._endpoints.delete_one({"endpoint_id": endpoint_id})
        if removed.deleted_count:
            await self._replays.delete_many({"endpoint_id": endpoint_id})
        return bool(removed.deleted_count)

    @translates_store_errors
    async def add_replay(self, replay: Replay) -> None:
        await self._replays.insert_one(
            {
                "replay_id": replay.id,
                "endpoint_id": replay.endpoint_id,
                "from_sequence": replay.from_sequence,
                "to_sequence": replay.to_sequence,
                "next_sequence": replay.next_sequence,
                "finished": replay.finished,
                "created_ms": _ms(replay.created_at),
            }
        )

    @translates_store_errors
    async def open_replay(self, endpoint_id: str) -> Replay | None:
        stored = await self._replays.find_one(
            {"endpoint_id": endpoint_id, "finished": False}, sort=[("created_ms", ASCENDING), ("replay_id", ASCENDING)]
        )
        if stored is None:
            return None
        return Replay(
            id=stored["replay_id"],
            endpoint_id=stored["endpoint_id"],
            from_sequence=stored["from_sequence"],
            to_sequence=stored["to_sequence"],
            next_sequence=stored["next_sequence"],
            created_at=_time(stored["created_ms"]),
        )

    @translates_store_errors
    async def save_replay(self, replay: Replay) -> None:
        await self._replays.update_one(
            {"replay_id": replay.id}, {"$set": {"next_sequence": replay.next_sequence, "finished": replay.finished}}
        )


def _identity(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "endpoint_id": endpoint.id,
        "url": endpoint.url,
        "secret": endpoint.secret,
        "event_types": list(endpoint.types.patterns),
        "description": endpoint.description,
        "source": endpoint.source.value,
    }


def _progress(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "state": endpoint.state.value,
        "delivered_through": endpoint.delivered_through,
        "failing_since_ms": _ms(endpoint.failing_since),
        "failed_attempts": endpoint.failed_attempts,
        "next_attempt_ms": _ms(endpoint.next_attempt_at),
        "last_error": endpoint.last_error,
        "disabled_at_ms": _ms(endpoint.disabled_at),
    }


def _endpoint(stored: dict[str, Any]) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=stored["endpoint_id"],
        url=stored["url"],
        secret=stored["secret"],
        types=TypeFilter(tuple(stored["event_types"])),
        description=stored.get("description") or "",
        source=EndpointSource(stored["source"]),
        created_at=_time(stored["created_ms"]),
        delivered_through=stored["delivered_through"],
        state=EndpointState(stored["state"]),
        failing_since=_optional_time(stored.get("failing_since_ms")),
        failed_attempts=stored.get("failed_attempts", 0),
        next_attempt_at=_optional_time(stored.get("next_attempt_ms")),
        last_error=stored.get("last_error"),
        disabled_at=_optional_time(stored.get("disabled_at_ms")),
    )


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else epoch_ms(moment)


def _time(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def _optional_time(milliseconds: int | None) -> datetime | None:
    return None if milliseconds is None else _time(milliseconds)
