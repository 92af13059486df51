"""The delivery log: one record per endpoint and event (and per replay of it), with every attempt made."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# All a refused delivery records: no status, no latency, no connect error that would describe the internal network.
DESTINATION_NOT_ALLOWED = "destination not allowed"


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One POST: the receiver's HTTP status (None when there was no answer), how long it took, and what failed."""

    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None = None

    @classmethod
    def not_allowed(cls, at: datetime) -> "DeliveryAttempt":
        """Nothing was sent: the host resolved to no address the destination policy allows."""
        return cls(at, None, 0, DESTINATION_NOT_ALLOWED)

    @property
    def destination_refused(self) -> bool:
        return self.error == DESTINATION_NOT_ALLOWED

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    @property
    def failure(self) -> str:
        """What went wrong, in a few words, for the endpoint's `last_error`."""
        return self.error or f"HTTP {self.status_code}"

    def view(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    sequence: int
    replay_id: str | None
    delivered: bool
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "sequence": self.sequence,
            "replay_id": self.replay_id,
            "state": "delivered" if self.delivered else "failing",
            "attempts": [attempt.view() for attempt in self.attempts],
        }


def delivery_id(endpoint_id: str, event_id: str, replay_id: str | None) -> str:
    return f"{endpoint_id}:{event_id}" if replay_id is None else f"{endpoint_id}:{event_id}:{replay_id}"
