"""A merchant's webhook endpoint: where events are POSTed, which types it wants, and how its deliveries stand.

Events go to an endpoint one at a time in sequence order: `delivered_through` is the last sequence number it has
acknowledged (or did not want), and the next wanted event is held until it is delivered, so a receiver that was
down gets everything it missed, in order, once it is back. While that event keeps failing, it is retried on the
`RetrySchedule`; once it has failed for the whole retry period the endpoint is disabled, and nothing is dropped:
enabling it again resumes from the held event.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from domain.events.types import TypeFilter
from domain.shared.errors import ValidationError, WebhookDestinationNotAllowedError
from domain.shared.ports import RandomSource
from domain.webhooks.destination import DestinationPolicy
from domain.webhooks.retry import RetrySchedule

MAXIMUM_URL_LENGTH = 2048
MAXIMUM_DESCRIPTION_LENGTH = 200


class EndpointState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class EndpointSource(StrEnum):
    API = "api"
    CONFIGURATION = "configuration"


def checked_url(url: str, *, allow_http: bool, destinations: DestinationPolicy) -> str:
    """An absolute https URL (http too when allowed: the simulator, or WEBHOOK_ALLOW_HTTP), without credentials,
    whose host is not `localhost` or a literal address the policy refuses."""
    if len(url) > MAXIMUM_URL_LENGTH:
        raise ValidationError("url", f"at most {MAXIMUM_URL_LENGTH} characters")
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise ValidationError("url", f"the scheme must be {' or '.join(schemes)}")
    if not parts.hostname:
        raise ValidationError("url", "a host is needed")
    if not destinations.allows_host(parts.hostname):
        raise WebhookDestinationNotAllowedError()
    if parts.username is not None or parts.password is not None:
        raise ValidationError("url", "credentials in the URL are not allowed: the signature authenticates us")
    if parts.fragment:
        raise ValidationError("url", "a fragment is never sent; leave it out")
    return url


def checked_description(description: str) -> str:
    if len(description) > MAXIMUM_DESCRIPTION_LENGTH:
        raise ValidationError("description", f"at most {MAXIMUM_DESCRIPTION_LENGTH} characters")
    return description


@dataclass(slots=True)
class WebhookEndpoint:
    id: str
    url: str
    secret: str
    types: TypeFilter
    description: str
    source: EndpointSource
    created_at: datetime
    delivered_through: int
    state: EndpointState = EndpointState.ENABLED
    failing_since: datetime | None = None
    failed_attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    disabled_at: datetime | None = None

    def due(self, now: datetime) -> bool:
        return self.state is EndpointState.ENABLED and (self.next_attempt_at is None or self.next_attempt_at <= now)

    def wants(self, event_type: str) -> bool:
        return self.types.wants(event_type)

    def passed(self, sequence: int) -> None:
        """Every event up to `sequence` is delivered or not wanted here."""
        self.delivered_through = max(self.delivered_through, sequence)

    def delivery_succeeded(self) -> None:
        self.failing_since, self.failed_attempts, self.next_attempt_at, self.last_error = None, 0, None, None

    def delivery_failed(self, now: datetime, error: str, schedule: RetrySchedule, random: RandomSource) -> bool:
        """Schedule the next try; True when the endpoint has failed for the whole retry period and is now disabled."""
        self.failing_since = self.failing_since or now
        self.failed_attempts += 1
        self.last_error = error
        if schedule.gives_up(self.failing_since, now):
            self.state, self.disabled_at, self.next_attempt_at = EndpointState.DISABLED, now, None
            return True
        self.next_attempt_at = now + schedule.wait(self.failed_attempts, random)
        return False

    def destination_refused(self, now: datetime, error: str) -> None:
        """Its host resolved to no allowed address: disabled at once rather than retried (every try would be
        refused alike, and each would probe the network again); enabling it tries again, nothing is dropped."""
        self.failing_since = self.failing_since or now
        self.failed_attempts += 1
        self.last_error = error
        self.state, self.disabled_at, self.next_attempt_at = EndpointState.DISABLED, now, None

    def enable(self) -> None:
        """Try again now; the held event and everything after it are still to be delivered."""
        self.state, self.disabled_at = EndpointState.ENABLED, None
        self.failing_since, self.failed_attempts, self.next_attempt_at = None, 0, None

    def view(self) -> dict[str, Any]:
        """The endpoint as the API shows it; the secret is shown only once, when the gateway generates it."""
        return {
            "id": self.id,
            "url": self.url,
            "description": self.description,
            "event_types": list(self.types.patterns),
            "source": self.source.value,
            "state": self.state.value,
            "created_at": self.created_at.isoformat(),
            "delivered_through": self.delivered_through,
            "failing_since": _iso(self.failing_since),
            "failed_attempts": self.failed_attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "last_error": self.last_error,
            "disabled_at": _iso(self.disabled_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
