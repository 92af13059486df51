"""The read API's listing: newest first across both kinds, filtered, paged by an opaque cursor."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.b2c.withdrawal import WithdrawalStatus
from domain.records.listing import PagePosition, RecordFilter, RecordKind, record_filter
from domain.records.use_cases.find_record import FindRecord
from domain.records.use_cases.list_records import ListRecords
from domain.shared.errors import NotFoundError, ValidationError
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import PaymentFactory, WithdrawalFactory
from tests.unit.fakes import FakeRecordSearch

BOTH = (RecordKind.STK, RecordKind.B2C)
NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def at(milliseconds: int) -> datetime:
    return NOON + timedelta(milliseconds=milliseconds)


@pytest.fixture
def searches() -> dict[RecordKind, FakeRecordSearch]:
    # Interleaved in time, several within one second, two at the very same instant.
    payments = [PaymentFactory.build(id=f"p{n:02d}", subject="h1", created_at=at(n * 100)) for n in range(7)]
    withdrawals = [WithdrawalFactory.build(id=f"w{n:02d}", subject="h2", created_at=at(n * 100 + 50)) for n in range(5)]
    twin = PaymentFactory.build(id="p99", subject="h1", created_at=at(300))
    return {
        RecordKind.STK: FakeRecordSearch(RecordKind.STK, *payments, twin),
        RecordKind.B2C: FakeRecordSearch(RecordKind.B2C, *withdrawals),
    }


async def every_page(
    searches: dict[RecordKind, FakeRecordSearch], kinds: tuple[RecordKind, ...], where: RecordFilter, limit: int
) -> list[list[str]]:
    list_records, pages, after = ListRecords(dict(searches)), [], None
    for _ in range(50):
        page = await list_records(kinds, where, after, limit)
        pages.append([record.record.id for record in page.records])
        if page.next_cursor is None:
            return pages
        after = PagePosition.from_cursor(page.next_cursor)
    raise AssertionError("the pages never ended")


async def test_pages_merge_both_kinds_newest_first_and_miss_or_repeat_nothing(
    searches: dict[RecordKind, FakeRecordSearch],
) -> None:
    pages = await every_page(searches, BOTH, RecordFilter(), limit=5)

    seen = [record_id for page in pages for record_id in page]
    assert [len(page) for page in pages] == [5, 5, 3]
    assert seen == ["p06", "p05", "w04", "p04", "w03", "p99", "p03", "w02", "p02", "w01", "p01", "w00", "p00"]


async def test_a_page_exactly_full_at_the_end_has_no_next_cursor(
    searches: dict[RecordKind, FakeRecordSearch],
) -> None:
    pages = await every_page(searches, (RecordKind.B2C,), RecordFilter(), limit=5)

    assert pages == [["w04", "w03", "w02", "w01", "w00"]]


async def test_filters_combine(searches: dict[RecordKind, FakeRecordSearch]) -> None:
    where = record_filter(BOTH, "h1", "pending", at(100), at(500))

    pages = await every_page(searches, BOTH, where, limit=10)

    assert pages == [["p04", "p99", "p03", "p02"]]


def test_a_cursor_names_its_position_exactly() -> None:
    position = PagePosition(at(123), "p01")

    assert PagePosition.from_cursor(position.cursor()) == position


@pytest.mark.parametrize("cursor", ["", "!!!", "bm90IGpzb24", "WyJ5ZXN0ZXJkYXkiLCAicDAxIl0", "x" * 300])
def test_a_cursor_the_gateway_never_handed_out_is_refused(cursor: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PagePosition.from_cursor(cursor)

    assert refused.value.field == "cursor"


def test_a_status_must_belong_to_the_kinds_asked_for() -> None:
    assert record_filter((RecordKind.B2C,), None, WithdrawalStatus.QUEUED.value, None, None).status == "queued"
    assert record_filter(BOTH, None, PaymentStatus.CANCELLED.value, None, None).status == "cancelled"
    with pytest.raises(ValidationError) as refused:
        record_filter((RecordKind.STK,), None, "queued", None, None)
    assert refused.value.field == "status"


def test_time_bounds_must_leave_room_and_a_time_without_offset_is_utc() -> None:
    where = record_filter(BOTH, None, None, datetime(2026, 1, 5, 12, 0), None)

    assert where.created_after == NOON
    with pytest.raises(ValidationError):
        record_filter(BOTH, None, None, at(500), at(500))


@pytest.mark.parametrize("field", ["created_after", "created_before"])
def test_a_time_with_no_utc_equivalent_is_refused_by_its_field(field: str) -> None:
    # Valid ISO 8601 (schemathesis found it), but a minute before the first moment a datetime can hold in UTC.
    before_time_began = datetime(1, 1, 1, tzinfo=timezone(timedelta(minutes=1)))
    bounds = {"created_after": None, "created_before": None, field: before_time_began}

    with pytest.raises(ValidationError) as refused:
        record_filter(BOTH, None, None, bounds["created_after"], bounds["created_before"])

    assert refused.value.field == field


async def test_one_record_is_found_by_id_whatever_its_kind(searches: dict[RecordKind, FakeRecordSearch]) -> None:
    find = FindRecord(list(searches.values()))

    found = await find("w03")

    assert (found.kind, found.view()["hash"], found.view()["data"]["id"]) == (RecordKind.B2C, "h2", "w03")
    with pytest.raises(NotFoundError):
        await find("nobody")
