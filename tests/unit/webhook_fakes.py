"""In-memory fakes for the event feed and webhooks: they keep state the tests assert on."""

import copy
from dataclasses import dataclass, replace
from datetime import datetime

from domain.events.event import Event
from domain.events.ports import OutboxRecord
from domain.webhooks.delivery import Delivery, DeliveryAttempt, delivery_id
from domain.webhooks.endpoint import WebhookEndpoint
from domain.webhooks.replay import Replay
from tests.unit.fakes import FixedClock


class FakeEventLog:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def append(self, event: Event) -> bool:
        if any(stored.id == event.id for stored in self.events):
            return False
        self.events.append(event.numbered(len(self.events) + 1))
        return True

    async def append_all(self, events: list[Event]) -> int:
        return sum([await self.append(event) for event in events])

    async def after(self, sequence: int, limit: int) -> list[Event]:
        return [event for event in self.events if event.sequence > sequence][:limit]

    async def last_sequence(self) -> int:
        return len(self.events)


class FakeEventOutbox:
    def __init__(self) -> None:
        self.records: dict[str, OutboxRecord] = {}
        self.looked_at: list[frozenset[str] | None] = []  # the kinds of each look (None: every kind)

    def write(self, record: OutboxRecord) -> None:
        self.records[record.record_id] = record

    async def pending(self, limit: int, kinds: frozenset[str] | None = None) -> list[OutboxRecord]:
        self.looked_at.append(kinds)
        return [record for record in self.records.values() if kinds is None or record.record_kind in kinds][:limit]

    async def mark_relayed(self, record: OutboxRecord) -> None:
        if record.record_id in self.records and self.records[record.record_id].version == record.version:
            del self.records[record.record_id]

    async def mark_all_relayed(self, records: list[OutboxRecord]) -> None:
        for record in records:
            await self.mark_relayed(record)


class FakeLeases:
    def __init__(self) -> None:
        self.holders: dict[str, tuple[str, datetime]] = {}

    async def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        held = self.holders.get(name)
        if held is not None and held[0] != owner and held[1] >= now:
            return False
        self.holders[name] = (owner, until)
        return True

    async def release(self, name: str, owner: str) -> None:
        if self.holders.get(name, ("", None))[0] == owner:
            del self.holders[name]


class FakeWebhookEndpoints:
    def __init__(self) -> None:
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.replays: list[Replay] = []

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self.endpoints[endpoint.id] = copy.deepcopy(endpoint)

    async def put_configured(self, endpoint: WebhookEndpoint) -> None:
        known = self.endpoints.get(endpoint.id)
        if known is None:
            await self.add(endpoint)
        else:
            known.url, known.secret, known.types = endpoint.url, endpoint.secret, endpoint.types

    async def by_id(self, endpoint_id: str) -> WebhookEndpoint | None:
        return copy.deepcopy(self.endpoints.get(endpoint_id))

    async def all(self) -> list[WebhookEndpoint]:
        return [copy.deepcopy(endpoint) for endpoint in self.endpoints.values()]

    async def save(self, endpoint: WebhookEndpoint) -> None:
        if endpoint.id in self.endpoints:
            self.endpoints[endpoint.id] = copy.deepcopy(endpoint)

    async def remove(self, endpoint_id: str) -> bool:
        return self.endpoints.pop(endpoint_id, None) is not None

    async def add_replay(self, replay: Replay) -> None:
        self.replays.append(copy.deepcopy(replay))

    async def open_replay(self, endpoint_id: str) -> Replay | None:
        waiting = [r for r in self.replays if r.endpoint_id == endpoint_id and not r.finished]
        return copy.deepcopy(waiting[0]) if waiting else None

    async def save_replay(self, replay: Replay) -> None:
        self.replays = [copy.deepcopy(replay) if r.id == replay.id else r for r in self.replays]


class FakeWebhookDeliveries:
    def __init__(self) -> None:
        self.deliveries: dict[str, Delivery] = {}

    async def record(self, endpoint_id: str, event: Event, replay_id: str | None, attempt: DeliveryAttempt) -> None:
        key = delivery_id(endpoint_id, event.id, replay_id)
        known = self.deliveries.get(key) or Delivery(
            key, endpoint_id, event.id, event.type, event.sequence, replay_id, False
        )
        self.deliveries[key] = replace(known, delivered=attempt.succeeded, attempts=[*known.attempts, attempt])

    async def of_endpoint(self, endpoint_id: str, limit: int) -> list[Delivery]:
        return [d for d in reversed(self.deliveries.values()) if d.endpoint_id == endpoint_id][:limit]


@dataclass(frozen=True)
class Posted:
    url: str
    body: bytes
    headers: dict[str, str]


class FakeWebhookSender:
    """Answers from a script of statuses (then 200); None in the script is a connection that failed. A URL in
    `refused` resolves to no allowed address: nothing is posted there."""

    def __init__(self, clock: FixedClock, *script: int | None) -> None:
        self.posted: list[Posted] = []
        self.refused: set[str] = set()
        self._script = list(script)
        self._clock = clock

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryAttempt:
        if url in self.refused:
            return DeliveryAttempt.not_allowed(self._clock.now())
        self.posted.append(Posted(url, body, dict(headers)))
        status = self._script.pop(0) if self._script else 200
        now = self._clock.now()
        if status is None:
            return DeliveryAttempt(now, None, 3, "ConnectError: All connection attempts failed")
        return DeliveryAttempt(now, status, 3)
