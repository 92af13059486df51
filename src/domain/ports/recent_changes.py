from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from domain.resume_cursor import ResumeCursor


class Missable(Protocol):
    """A payment or withdrawal as a catch-up sends it: placed by its id and last change, shown by its view."""

    @property
    def id(self) -> str: ...

    @property
    def updated_at(self) -> datetime: ...

    def view(self) -> dict[str, Any]: ...


class RecentChanges(Protocol):
    """What a reconnecting client of a hash has to catch up on, read in the order of `ResumeCursor`."""

    @abstractmethod
    async def changed_after(self, hash_: str, after: ResumeCursor, limit: int) -> Sequence[Missable]:
        """The hash's records whose last change is placed after `after`, in that order, the first `limit`."""

    @abstractmethod
    async def open_or_changed_after(self, hash_: str, start: ResumeCursor, limit: int) -> Sequence[Missable] | None:
        """In one read, the hash's records not yet final whose last change is placed up to `start` and every one
        placed after it, in no particular order; None, rather than a part of them, when they are more than
        `limit`."""

    @abstractmethod
    async def open_between(
        self, hash_: str, after: ResumeCursor, until: ResumeCursor, limit: int
    ) -> Sequence[Missable]:
        """The hash's records not yet final whose last change is placed after `after` and not after `until`, in
        that order, the first `limit`."""
