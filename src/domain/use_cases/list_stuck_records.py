from datetime import timedelta

from domain.ports import Clock, StuckRecord, StuckRecords


class ListStuckRecords:
    """Payments and withdrawals outside a final state that have not changed for `older_than`, for an operator."""

    def __init__(self, stuck: StuckRecords, clock: Clock) -> None:
        self._stuck, self._clock = stuck, clock

    async def __call__(self, older_than: timedelta, limit: int) -> list[StuckRecord]:
        return await self._stuck.updated_before(self._clock.now() - older_than, limit)
