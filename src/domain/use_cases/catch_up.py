from datetime import datetime, timedelta
from typing import Any

from domain.payment import UNANSWERED_PUSH_AFTER, Payment
from domain.ports import Clock
from domain.ports.recent_changes import RecentChanges

# However long a client was away, it catches up on one day at most; older outcomes are read with `status`.
LONGEST_ABSENCE = timedelta(hours=24)


class CatchUp:
    """What a (re)connecting client missed: every open payment of its hash, and those that changed while it was
    away — after its `since` if it says when it last heard from us, else within `window`; at most `limit`. A payment
    is shown as of now: with its age, and as outcome unknown once no Daraja answer can still be on its way."""

    def __init__(
        self,
        records: RecentChanges,
        clock: Clock,
        window: timedelta,
        limit: int,
        unanswered_after: timedelta = UNANSWERED_PUSH_AFTER,
    ) -> None:
        self._records, self._clock, self._window, self._limit = records, clock, window, limit
        self._unanswered_after = unanswered_after

    async def __call__(self, hash_: str, since: datetime | None) -> list[dict[str, Any]]:
        now = self._clock.now()
        cutoff = now - self._window if since is None else max(since, now - LONGEST_ABSENCE)
        found = await self._records.open_or_changed_since(hash_, cutoff, self._limit)
        return [
            record.view_as_of(now, self._unanswered_after) if isinstance(record, Payment) else record.view()
            for record in found
        ]
