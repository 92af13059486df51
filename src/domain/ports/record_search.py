from abc import abstractmethod
from typing import Protocol

from domain.record_listing import ListedRecord, PagePosition, RecordFilter


class RecordSearch(Protocol):
    """The stored records of one kind (STK payments, or B2C withdrawals), for the read API."""

    @abstractmethod
    async def by_id(self, record_id: str) -> ListedRecord | None:
        """The record with this gateway id, of any hash."""

    @abstractmethod
    async def newest_first(self, where: RecordFilter, after: PagePosition | None, limit: int) -> list[ListedRecord]:
        """Up to `limit` records the filter admits, newest first by (created_at, id), strictly after `after`."""
