"""A replay: the events of a sequence range sent again to one endpoint, before its live events, in order."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.shared.errors import ValidationError

MAXIMUM_REPLAY_EVENTS = 10_000


@dataclass(slots=True)
class Replay:
    id: str
    endpoint_id: str
    from_sequence: int
    to_sequence: int
    next_sequence: int
    created_at: datetime

    @classmethod
    def of_range(
        cls, replay_id: str, endpoint_id: str, from_sequence: int, to_sequence: int, last_sequence: int, now: datetime
    ) -> "Replay":
        if from_sequence < 1:
            raise ValidationError("from_sequence", "sequence numbers start at 1")
        if to_sequence < from_sequence:
            raise ValidationError("to_sequence", "must not be below from_sequence")
        if to_sequence > last_sequence:
            raise ValidationError("to_sequence", f"the feed's last event is {last_sequence}")
        if to_sequence - from_sequence + 1 > MAXIMUM_REPLAY_EVENTS:
            raise ValidationError("to_sequence", f"at most {MAXIMUM_REPLAY_EVENTS} events per replay")
        return cls(replay_id, endpoint_id, from_sequence, to_sequence, from_sequence, now)

    @property
    def finished(self) -> bool:
        return self.next_sequence > self.to_sequence

    def passed(self, sequence: int) -> None:
        self.next_sequence = max(self.next_sequence, sequence + 1)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpoint_id": self.endpoint_id,
            "from_sequence": self.from_sequence,
            "to_sequence": self.to_sequence,
            "next_sequence": self.next_sequence,
            "finished": self.finished,
            "created_at": self.created_at.isoformat(),
        }
