"""Webhook POSTs over httpx: one try each, short time-outs, redirects never followed, the answer's body not read.

The client is expected to connect through `GuardedTransport`: a refused destination is an attempt that says only
"destination not allowed".
"""

import time

import httpx

from adapters.webhooks.guarded_network import DestinationNotAllowedError
from domain.shared.ports import Clock
from domain.webhooks.delivery import DeliveryAttempt
from domain.webhooks.ports import WebhookSender


class HttpxWebhookSender(WebhookSender):
    def __init__(self, client: httpx.AsyncClient, clock: Clock) -> None:
        self._client, self._clock = client, clock

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryAttempt:
        at, started = self._clock.now(), time.perf_counter()
        try:
            # Streamed and closed unread: a receiver's answer body is of no use, and could be endless.
            async with self._client.stream(
                "POST", url, content=body, headers=headers, follow_redirects=False
            ) as answer:
                status = answer.status_code
        except DestinationNotAllowedError:
            return DeliveryAttempt.not_allowed(at)
        except httpx.TimeoutException as fault:
            return DeliveryAttempt(at, None, _since(started), f"timed out ({type(fault).__name__})")
        except httpx.HTTPError as fault:
            return DeliveryAttempt(at, None, _since(started), f"{type(fault).__name__}: {fault}"[:300])
        return DeliveryAttempt(at, status, _since(started))


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
