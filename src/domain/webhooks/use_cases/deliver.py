"""Deliver the feed's events to every enabled endpoint: signed, in sequence order, retried until delivered.

Per endpoint, one event at a time: replays first (oldest first), then the live events after `delivered_through`.
A failed delivery holds everything after it for that endpoint until it succeeds, so a receiver sees each endpoint's
events in order. Each endpoint is served under its own lease, so any number of instances may run this at once
without sending one event to one endpoint twice at the same time. A crash between a receiver's 2xx and the stored
progress sends that event once more: receivers de-duplicate by the `Mpesa-Event-Id` header.
"""

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta

import structlog

from domain.events.event import Event
from domain.events.ports import EventLog
from domain.shared.ports import Clock, Leases, RandomSource
from domain.webhooks.delivery import DeliveryAttempt
from domain.webhooks.endpoint import WebhookEndpoint
from domain.webhooks.ports import WebhookDeliveries, WebhookEndpoints, WebhookSender
from domain.webhooks.replay import Replay
from domain.webhooks.retry import RetrySchedule
from domain.webhooks.signature import EVENT_ID_HEADER, SIGNATURE_HEADER, signature_header

logger = structlog.get_logger()

# Events read per look at the feed, and deliveries to one endpoint per turn (then the others get theirs).
_PAGE = 50
_PER_TURN = 100
USER_AGENT = "mpesa-gateway-webhooks/1"


class DeliverWebhooks:
    def __init__(
        self,
        endpoints: WebhookEndpoints,
        events: EventLog,
        deliveries: WebhookDeliveries,
        sender: WebhookSender,
        leases: Leases,
        clock: Clock,
        random: RandomSource,
        schedule: RetrySchedule,
        *,
        owner: str,
        lease_seconds: float,
        concurrency: int,
        on_attempt: Callable[[DeliveryAttempt], None] | None = None,
    ) -> None:
        self._endpoints, self._events, self._deliveries, self._sender = endpoints, events, deliveries, sender
        self._leases, self._clock, self._random, self._schedule = leases, clock, random, schedule
        self._owner, self._lease = owner, timedelta(seconds=lease_seconds)
        self._concurrency, self._on_attempt = asyncio.Semaphore(concurrency), on_attempt

    async def __call__(self) -> int:
        """One turn for every endpoint that is due; how many events were delivered."""
        now = self._clock.now()
        due = [endpoint.id for endpoint in await self._endpoints.all() if endpoint.due(now)]
        return sum(await asyncio.gather(*(self._take_turn(endpoint_id) for endpoint_id in due)))

    async def _take_turn(self, endpoint_id: str) -> int:
        async with self._concurrency:
            lease = f"webhook-endpoint:{endpoint_id}"
            now = self._clock.now()
            if not await self._leases.acquire(lease, self._owner, now, now + self._lease):
                return 0
            try:
                # Read again under the lease: another instance may have delivered, failed or disabled it since.
                endpoint = await self._endpoints.by_id(endpoint_id)
                if endpoint is None or not endpoint.due(self._clock.now()):
                    return 0
                return await self._deliver_in_order(endpoint)
            finally:
                await self._leases.release(lease, self._owner)

    async def _deliver_in_order(self, endpoint: WebhookEndpoint) -> int:
        delivered = 0
        # Well inside the lease, so no other instance can start on this endpoint while this turn still sends.
        turn_ends = self._clock.now() + self._lease / 2
        while delivered < _PER_TURN and self._clock.now() < turn_ends:
            job = await self._next_job(endpoint)
            if job is None:
                break
            event, replay = job
            attempt = await self._send(endpoint, event)
            await self._deliveries.record(endpoint.id, event, replay.id if replay else None, attempt)
            if self._on_attempt is not None:
                self._on_attempt(attempt)
            if not attempt.succeeded:
                self._failed(endpoint, event, attempt)
                break
            endpoint.delivery_succeeded()
            if replay is not None:
                replay.passed(event.sequence)
                await self._endpoints.save_replay(replay)
            else:
                endpoint.passed(event.sequence)
            await self._endpoints.save(endpoint)
            delivered += 1
        await self._endpoints.save(endpoint)
        return delivered

    async def _next_job(self, endpoint: WebhookEndpoint) -> tuple[Event, Replay | None] | None:
        """The next event to send and the replay it belongs to (None: a live event); None when nothing is due."""
        while (replay := await self._endpoints.open_replay(endpoint.id)) is not None:
            event = await self._skip_unwanted(endpoint, replay.next_sequence - 1, replay.to_sequence, replay.passed)
            if event is not None:
                return event, replay
            if not replay.finished:
                return None  # the rest of its range is not visible yet; live events wait behind it
            await self._endpoints.save_replay(replay)
        event = await self._skip_unwanted(endpoint, endpoint.delivered_through, None, endpoint.passed)
        return None if event is None else (event, None)

    async def _skip_unwanted(
        self, endpoint: WebhookEndpoint, after: int, up_to: int | None, passed: Callable[[int], None]
    ) -> Event | None:
        """The first event after `after` (up to `up_to`) the endpoint wants; those before it are marked passed."""
        while True:
            page = await self._events.after(after, _PAGE)
            for event in page:
                if up_to is not None and event.sequence > up_to:
                    return None
                if endpoint.wants(event.type):
                    return event
                passed(event.sequence)
            if len(page) < _PAGE:
                return None
            after = page[-1].sequence

    async def _send(self, endpoint: WebhookEndpoint, event: Event) -> DeliveryAttempt:
        body = json.dumps(event.view(), separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature_header(endpoint.secret, timestamp, body),
            EVENT_ID_HEADER: event.id,
        }
        return await self._sender.post(endpoint.url, body, headers)

    def _failed(self, endpoint: WebhookEndpoint, event: Event, attempt: DeliveryAttempt) -> None:
        if attempt.destination_refused:
            endpoint.destination_refused(self._clock.now(), attempt.failure)
            logger.error(
                "security_webhook_destination_refused", endpoint_id=endpoint.id, event_id=event.id, url=endpoint.url
            )
            return
        disabled = endpoint.delivery_failed(self._clock.now(), attempt.failure, self._schedule, self._random)
        facts = {
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "sequence": event.sequence,
            "status": attempt.status_code,
            "error": attempt.failure,
            "failed_attempts": endpoint.failed_attempts,
        }
        if disabled:
            logger.error(
                "webhook_endpoint_disabled",
                **facts,
                failing_since=endpoint.failing_since.isoformat() if endpoint.failing_since else None,
                held_event_id=event.id,
            )
        else:
            next_at = endpoint.next_attempt_at.isoformat() if endpoint.next_attempt_at else None
            logger.warning("webhook_delivery_failed", **facts, next_attempt_at=next_at)
