from dataclasses import dataclass

from domain.records.listing import ListedRecord, PagePosition, RecordFilter, RecordKind
from domain.records.ports import RecordSearch


@dataclass(frozen=True, slots=True)
class RecordPage:
    records: list[ListedRecord]
    next_cursor: str | None


class ListRecords:
    """One page of payments and withdrawals, newest first; both kinds are merged into one order."""

    def __init__(self, searches: dict[RecordKind, RecordSearch]) -> None:
        self._searches = searches

    async def __call__(
        self, kinds: tuple[RecordKind, ...], where: RecordFilter, after: PagePosition | None, limit: int
    ) -> RecordPage:
        # One more than the page from each kind: the page's records are among them, and so is the sign of a next.
        found: list[ListedRecord] = []
        for kind in kinds:
            found += await self._searches[kind].newest_first(where, after, limit + 1)
        found.sort(key=lambda record: record.position, reverse=True)
        page = found[:limit]
        more = len(found) > limit
        return RecordPage(page, page[-1].position.cursor() if more and page else None)
