from domain.reversals.errors import ReversalNotFoundError
from domain.reversals.ports import Reversals
from domain.reversals.reversal import Reversal


class ShowReversal:
    def __init__(self, reversals: Reversals) -> None:
        self._reversals = reversals

    async def __call__(self, reversal_id: str) -> Reversal:
        reversal = await self._reversals.by_id(reversal_id)
        if reversal is None:
            raise ReversalNotFoundError(reversal_id)
        return reversal
