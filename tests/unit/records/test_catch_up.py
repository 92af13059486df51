"""The catch-up on fakes of the store: every open record, then every change after the resume point, page by page
until none is left, and a cursor that loses nothing still on its way."""

from datetime import timedelta
from typing import Any

import pytest

from domain.b2c.withdrawal import WithdrawalStatus
from domain.records.use_cases.catch_up import CatchUp
from domain.shared.resume_cursor import ResumeCursor
from domain.stk.payment import Payment
from tests.support.factories import CREATED_AT, PaymentFactory, WithdrawalFactory, paid_payment
from tests.unit.fakes import FakePaymentRepository, FakeWithdrawalRepository, FixedClock

NOW = CREATED_AT + timedelta(minutes=30)
SUBJECT = "a1b2c3d4" * 4


class Client:
    """What a socket was sent, in order."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, view: dict[str, Any]) -> None:
        self.sent.append(view)

    @property
    def ids(self) -> list[str]:
        return [view["id"] for view in self.sent]


def settled(ago: timedelta) -> Payment:
    """Paid `ago` before NOW."""
    return paid_payment(at=NOW - ago)


def catch_up(payments: FakePaymentRepository, page_size: int = 3, max_updates: int = 10_000) -> CatchUp:
    return CatchUp(payments, FixedClock(NOW), timedelta(minutes=15), page_size, max_updates=max_updates)


def in_order(payments: list[Payment]) -> list[str]:
    return [p.id for p in sorted(payments, key=ResumeCursor.of)]


async def test_every_change_after_the_cursor_is_sent_across_pages_in_order_ties_included() -> None:
    last_seen = settled(timedelta(minutes=10))
    # Eight in one millisecond, then more: more than two pages, all after the client's cursor.
    missed = [settled(timedelta(minutes=9)) for _ in range(8)] + [settled(timedelta(minutes=8)) for _ in range(3)]
    client = Client()

    caught_up = await catch_up(FakePaymentRepository(last_seen, *missed))(
        SUBJECT, client.send, after=ResumeCursor.of(last_seen)
    )

    assert client.ids == in_order(missed)
    assert (caught_up.updates, caught_up.complete) == (11, True)


async def test_since_includes_its_own_millisecond() -> None:
    last_seen = settled(timedelta(minutes=10))
    same_ms = [settled(timedelta(minutes=10)) for _ in range(4)]
    client = Client()

    await catch_up(FakePaymentRepository(last_seen, *same_ms))(SUBJECT, client.send, since=last_seen.updated_at)

    assert client.ids == in_order([last_seen, *same_ms])


async def test_open_payments_changed_before_the_cursor_are_sent_first_and_once() -> None:
    old_open = [PaymentFactory.build(updated_at=NOW - timedelta(hours=2)) for _ in range(5)]
    old_settled = settled(timedelta(hours=2))
    changed = [settled(timedelta(minutes=1)), PaymentFactory.build(updated_at=NOW - timedelta(minutes=1))]
    client = Client()

    await catch_up(FakePaymentRepository(*old_open, old_settled, *changed))(
        SUBJECT, client.send, after=ResumeCursor.before(NOW - timedelta(hours=1))
    )

    assert client.ids == in_order(old_open) + in_order(changed)


async def test_the_cursor_handed_back_resumes_with_nothing_lost_or_repeated() -> None:
    payments = FakePaymentRepository(*(settled(timedelta(minutes=5)) for _ in range(7)))
    first, then = Client(), Client()
    caught_up = await catch_up(payments)(SUBJECT, first.send, after=ResumeCursor.before(NOW - timedelta(hours=1)))
    later = [settled(timedelta(minutes=5) - timedelta(milliseconds=1)) for _ in range(2)]
    for payment in later:
        await payments.add(payment)

    again = await catch_up(payments)(SUBJECT, then.send, after=caught_up.cursor)

    assert then.ids == in_order(later)
    assert again.cursor > caught_up.cursor


async def test_a_change_made_just_before_the_read_is_not_passed_by_the_cursor() -> None:
    # Placed within WRITES_LAND_WITHIN of the read: another change of that moment may not have landed yet.
    just_now = settled(timedelta(seconds=1))
    payments = FakePaymentRepository(just_now)
    first, then = Client(), Client()
    caught_up = await catch_up(payments)(SUBJECT, first.send, after=ResumeCursor.before(NOW - timedelta(hours=1)))
    landed_late = settled(timedelta(seconds=2))
    await payments.add(landed_late)

    await catch_up(payments)(SUBJECT, then.send, after=caught_up.cursor)

    assert first.ids == [just_now.id]
    assert landed_late.id in then.ids
    assert caught_up.cursor == ResumeCursor.before(NOW - timedelta(seconds=5))


async def test_past_the_most_one_connection_is_sent_it_says_so_and_its_cursor_continues() -> None:
    missed = [settled(timedelta(minutes=5, milliseconds=-i)) for i in range(10)]
    payments = FakePaymentRepository(*missed)
    first, rest = Client(), Client()
    start = ResumeCursor.before(NOW - timedelta(hours=1))

    cut_short = await catch_up(payments, max_updates=4)(SUBJECT, first.send, after=start)
    finished = await catch_up(payments, max_updates=100)(SUBJECT, rest.send, after=cut_short.cursor)

    assert (cut_short.updates, cut_short.complete) == (4, False)
    assert first.ids + rest.ids == in_order(missed)
    assert finished.complete is True


async def test_withdrawals_catch_up_the_same_way() -> None:
    queued = WithdrawalFactory.build(updated_at=NOW - timedelta(hours=3))
    paid = [
        WithdrawalFactory.build(status=WithdrawalStatus.SUCCESS, updated_at=NOW - timedelta(minutes=2))
        for _ in range(4)
    ]
    client = Client()
    use_case = CatchUp(FakeWithdrawalRepository(queued, *paid), FixedClock(NOW), timedelta(minutes=15), 2)

    caught_up = await use_case(SUBJECT, client.send)

    assert client.ids == [queued.id, *(w.id for w in sorted(paid, key=ResumeCursor.of))]
    assert caught_up.complete is True


@pytest.mark.parametrize("resume", ["window", "since", "after"])
async def test_a_catch_up_read_at_once_sends_what_one_read_in_pages_sends(resume: str) -> None:
    last_seen = settled(timedelta(minutes=20))
    records = [
        *(PaymentFactory.build(updated_at=NOW - timedelta(hours=2)) for _ in range(3)),
        settled(timedelta(hours=2)),
        last_seen,
        # In the millisecond the client resumes from: open and settled, on either side of its id.
        *(settled(timedelta(minutes=20)) for _ in range(3)),
        PaymentFactory.build(updated_at=last_seen.updated_at),
        *(settled(timedelta(minutes=1, milliseconds=-i)) for i in range(3)),
        PaymentFactory.build(updated_at=NOW - timedelta(seconds=30)),
    ]
    point: dict[str, Any] = {
        "window": {},
        "since": {"since": last_seen.updated_at},
        "after": {"after": ResumeCursor.of(last_seen)},
    }[resume]
    at_once, in_pages = Client(), Client()

    read_at_once = await catch_up(FakePaymentRepository(*records), page_size=100)(SUBJECT, at_once.send, **point)
    read_in_pages = await catch_up(FakePaymentRepository(*records), page_size=2)(SUBJECT, in_pages.send, **point)

    assert at_once.ids == in_pages.ids
    assert len(at_once.ids) == len(set(at_once.ids)) > 0
    assert read_at_once == read_in_pages
