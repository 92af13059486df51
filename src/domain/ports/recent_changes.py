from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class Viewable(Protocol):
    def view(self) -> dict[str, Any]: ...


class RecentChanges(Protocol):
    """What a reconnecting client of a hash has to catch up on."""

    @abstractmethod
    async def open_or_changed_since(self, hash_: str, since: datetime, limit: int) -> Sequence[Viewable]:
        """Every record of the hash that is not final, and those changed after `since`; oldest change first,
        at most `limit`."""
