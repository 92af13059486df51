from domain.callbacks.ports import CallbackTrail
from domain.callbacks.trail import TrailEntry
from domain.shared.errors import NotFoundError


class ShowCallbackTrail:
    """Every callback stored for one payment or withdrawal, in arrival order, for an operator."""

    def __init__(self, trail: CallbackTrail) -> None:
        self._trail = trail

    async def __call__(self, record_id: str) -> list[TrailEntry]:
        entries = await self._trail.of_record(record_id)
        if entries is None:
            raise NotFoundError(f"no payment or withdrawal {record_id}")
        return entries
