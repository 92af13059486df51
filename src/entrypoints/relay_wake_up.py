"""What a publish tells the event relay: the kind of record just written (so its next look needs only those
collections), and to look now rather than at the end of its idle wait."""

from domain.events.topics import record_kinds_of
from domain.events.use_cases.relay_events import RelayEvents
from entrypoints.idle_pause import IdlePause


class RelayWakeUp:
    def __init__(self, relay: RelayEvents, pause: IdlePause) -> None:
        self._relay, self._pause = relay, pause

    def __call__(self, topic: str) -> None:
        self.written(record_kinds_of(topic))

    def written(self, record_kinds: frozenset[str] | None) -> None:
        """A record of one of `record_kinds` was just stored (for records whose changes are published on no topic)."""
        self._relay.note_written(record_kinds)
        self._pause.wake()
