from domain.events.ports import EventLog
from domain.shared.errors import WebhookNotFoundError
from domain.shared.ports import Clock, Identifiers
from domain.webhooks.ports import WebhookEndpoints
from domain.webhooks.replay import Replay


class ReplayEvents:
    """Send an endpoint the events of a sequence range again (those of its types), before its live events."""

    def __init__(self, endpoints: WebhookEndpoints, events: EventLog, identifiers: Identifiers, clock: Clock) -> None:
        self._endpoints, self._events, self._identifiers, self._clock = endpoints, events, identifiers, clock

    async def __call__(self, endpoint_id: str, from_sequence: int, to_sequence: int) -> Replay:
        endpoint = await self._endpoints.by_id(endpoint_id)
        if endpoint is None:
            raise WebhookNotFoundError(endpoint_id)
        replay = Replay.of_range(
            f"rp_{self._identifiers.new_id()[:24]}",
            endpoint.id,
            from_sequence,
            to_sequence,
            await self._events.last_sequence(),
            self._clock.now(),
        )
        await self._endpoints.add_replay(replay)
        return replay
