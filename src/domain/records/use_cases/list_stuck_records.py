from datetime import timedelta

from domain.records.ports import StuckRecord, StuckRecords
from domain.shared.ports import Clock
from domain.stk.payment import UNANSWERED_PUSH_AFTER


class ListStuckRecords:
    """Payments and withdrawals outside a final state that have not changed for `older_than`, for an operator, each
    with its age; a push without Daraja's ids after `unanswered_after` is marked outcome unknown."""

    def __init__(self, stuck: StuckRecords, clock: Clock, unanswered_after: timedelta = UNANSWERED_PUSH_AFTER) -> None:
        self._stuck, self._clock, self._unanswered_after = stuck, clock, unanswered_after

    async def __call__(self, older_than: timedelta, limit: int) -> list[StuckRecord]:
        now = self._clock.now()
        found = await self._stuck.updated_before(now - older_than, limit)
        return [record.as_of(now, self._unanswered_after) for record in found]
