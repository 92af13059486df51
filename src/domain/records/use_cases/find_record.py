from domain.records.listing import ListedRecord
from domain.records.ports import RecordSearch
from domain.shared.errors import NotFoundError


class FindRecord:
    """A payment or withdrawal by the gateway's id, whatever its kind or subject."""

    def __init__(self, searches: list[RecordSearch]) -> None:
        self._searches = searches

    async def __call__(self, record_id: str) -> ListedRecord:
        for search in self._searches:
            found = await search.by_id(record_id)
            if found is not None:
                return found
        raise NotFoundError(f"no payment or withdrawal with id {record_id}")
