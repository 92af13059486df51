from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from domain.records.listing import PagePosition, RecordKind, record_filter
from domain.records.use_cases.find_record import FindRecord
from domain.records.use_cases.list_records import ListRecords
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key

DEFAULT_PAGE = 50
LARGEST_PAGE = 200


class RecordsController(Controller):
    """The read API: payments and withdrawals as stored, in the socket's `data` shape, for a merchant's backend."""

    path = "/api/v1/payments"
    tags = ["Read API"]
    guards = [require_api_key]
    security = API_KEY_SECURITY

    @get(
        "/{record_id:str}",
        summary="One STK payment or B2C withdrawal by the gateway's id",
        description="Answers {kind, hash, data}: `data` is the socket's payment or withdrawal; 404 NOT_FOUND if none.",
    )
    async def one(self, record_id: str, find_record: NamedDependency[FindRecord]) -> dict[str, Any]:
        return (await find_record(record_id)).view()

    @get(
        "/",
        summary="Payments and withdrawals, newest first, a page at a time",
        description=(
            "Answers {data: [{kind, hash, data}], next_cursor}; pass `next_cursor` as `cursor` for the next page "
            "(null on the last). `created_after` and `created_before` are exclusive (ISO 8601, UTC if no offset)."
        ),
    )
    async def page(
        self,
        list_records: NamedDependency[ListRecords],
        subject: Annotated[str | None, Parameter(query="hash", min_length=1, max_length=256)] = None,
        status: Annotated[str | None, Parameter(min_length=1, max_length=16)] = None,
        kind: RecordKind | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        limit: Annotated[int, Parameter(ge=1, le=LARGEST_PAGE)] = DEFAULT_PAGE,
        cursor: Annotated[str | None, Parameter(min_length=1, max_length=256)] = None,
    ) -> dict[str, Any]:
        kinds = (kind,) if kind is not None else (RecordKind.STK, RecordKind.B2C)
        where = record_filter(kinds, subject, status, created_after, created_before)
        after = None if cursor is None else PagePosition.from_cursor(cursor)
        found = await list_records(kinds, where, after, limit)
        return {"data": [record.view() for record in found.records], "next_cursor": found.next_cursor}
