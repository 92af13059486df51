"""A resumed client is sent every change after the point it resumes from, exactly, on the embedded store (which
compares dates only to the whole second): none lost to ties or to a page size, none sent twice.

The missed changes are written straight into the store, in the gateway's own document shape, at the times the test
needs (the same second and the same millisecond as the client's last update): no clock could be trusted to make
thirty real settlements land in one second.
"""

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pymongo
import pytest

from adapters.mongo.b2c_withdrawal_document import new_document as withdrawal_document
from adapters.mongo.embedded_server import EmbeddedMongo
from adapters.mongo.stk_payment_document import new_document
from domain.b2c.withdrawal import WithdrawalStatus
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import PaymentFactory, WithdrawalFactory
from tests.support.gateway_settings import DATABASE
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import SocketClient

Collection = pymongo.collection.Collection  # type: ignore[type-arg]
# How long to listen past the expected updates for one that should not come (a duplicate).
QUIET_SECONDS = 0.5
WAIT_SECONDS = 15.0
PAGE_SIZE = 7
SETTLE_SECONDS = 1.0
CAP = 50


@pytest.fixture(scope="module")
def small_pages(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    """A gateway that reads its catch-up 7 records at a time, and trusts a write to have landed within 1 s."""
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        CATCH_UP_LIMIT=str(PAGE_SIZE),
        CATCH_UP_SETTLE_SECONDS=str(SETTLE_SECONDS),
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def capped(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    """A gateway that sends one connection's catch-up at most 50 updates."""
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        CATCH_UP_MAX_UPDATES=str(CAP),
        CATCH_UP_SETTLE_SECONDS=str(SETTLE_SECONDS),
    )
    yield gateway
    gateway.process.stop()


def settled(subject: str, at: datetime) -> dict[str, Any]:
    """A stored payment of the subject that Daraja settled at `at`, as the gateway stores one."""
    payment = PaymentFactory.build(
        subject=subject,
        created_at=at - timedelta(seconds=5),
        updated_at=at,
        status=PaymentStatus.SUCCESS,
        result_code="0",
        result_desc="The service request is processed successfully.",
        receipt="TST" + uuid.uuid4().hex[:7].upper(),
    )
    return new_document(payment)


def in_change_order(documents: Sequence[dict[str, Any]]) -> list[str]:
    return [d["payment_id"] for d in sorted(documents, key=lambda d: (d["updated_at"], d["payment_id"]))]


def same_second_as(moment: datetime, count: int) -> list[datetime]:
    """`count` times from `moment` on within its second: a third in its very millisecond, the rest later,
    several sharing a millisecond."""
    room = (moment.replace(microsecond=999_000) - moment) // timedelta(milliseconds=1)
    ties = count // 3
    return [moment] * ties + [moment + timedelta(milliseconds=(1 + i // 3) % (room + 1)) for i in range(count - ties)]


async def pushed_and_settled(client: SocketClient) -> dict[str, Any]:
    """The data of the update that settled a payment the client pushed."""
    ack = await client.request(
        {"kind": "push", "payload": {"phone": fresh_phone(), "amount": 40, "description": "Last seen"}}
    )
    return (await client.final_update(ack["data"]["id"]))["data"]


async def updates_of(client: SocketClient, expected: int) -> list[dict[str, Any]]:
    """The updates the client was sent: once `expected` have come, and a moment more for any extra."""

    await client.updates_counted(expected, WAIT_SECONDS)  # if not, the assertions say what is missing
    await asyncio.sleep(QUIET_SECONDS)
    return [update["data"] for update in client.updates]


def ids(views: Sequence[dict[str, Any]]) -> list[str]:
    return [view["id"] for view in views]


async def test_a_client_resuming_with_since_gets_every_payment_settled_in_the_same_second(
    gateway: Gateway, payments: Collection
) -> None:
    url = f"{gateway.wss}/mpesa/stk/same-second-{uuid.uuid4().hex[:8]}"
    async with await SocketClient.connect(url, gateway.tls) as client:
        last_seen = await pushed_and_settled(client)
    stored_at = payments.find_one({"payment_id": last_seen["id"]})["updated_at"]
    missed = [settled(last_seen_hash(url), at) for at in same_second_as(stored_at, 30)]
    payments.insert_many(missed)

    async with await SocketClient.connect(f"{url}?since={quote(last_seen['updated_at'])}", gateway.tls) as resumed:
        sent = await updates_of(resumed, len(missed) + 1)

    # Every one of the thirty, once; the last update seen comes again (same version): `since` includes its
    # millisecond, because the store cannot tell what else changed in it.
    assert ids(sent) == [last_seen["id"], *in_change_order(missed)] or sorted(ids(sent)) == sorted(
        [last_seen["id"], *(d["payment_id"] for d in missed)]
    )
    assert len(ids(sent)) == len(set(ids(sent))) == len(missed) + 1


async def test_a_client_resuming_after_its_cursor_gets_every_change_in_the_cursor_s_millisecond(
    gateway: Gateway, payments: Collection
) -> None:
    url = f"{gateway.wss}/mpesa/stk/same-ms-{uuid.uuid4().hex[:8]}"
    async with await SocketClient.connect(f"{url}?after=", gateway.tls) as client:
        cursor = (await client.next_caught_up())["data"]["cursor"]
        last_seen = await pushed_and_settled(client)
    at_cursor = datetime.fromtimestamp(int(cursor.split("-")[0]) / 1000, UTC)
    missed = [settled(last_seen_hash(url), at) for at in same_second_as(at_cursor, 30)]
    payments.insert_many(missed)

    async with await SocketClient.connect(f"{url}?after={cursor}", gateway.tls) as resumed:
        sent = await updates_of(resumed, len(missed) + 1)
        caught_up = await resumed.next_caught_up()

    assert ids(sent) == [*in_change_order(missed), last_seen["id"]]
    assert caught_up["data"]["complete"] is True
    assert caught_up["data"]["updates"] == len(missed) + 1


async def test_120_missed_updates_come_in_order_across_pages_and_a_resume_from_the_cursor_repeats_none(
    small_pages: Gateway, payments: Collection
) -> None:
    url = f"{small_pages.wss}/mpesa/stk/many-missed-{uuid.uuid4().hex[:8]}"
    async with await SocketClient.connect(f"{url}?after=", small_pages.tls) as client:
        first = await client.next_caught_up()
    left_at = datetime.fromtimestamp(int(first["data"]["cursor"].split("-")[0]) / 1000, UTC)
    # 120 settled while the client was away, two to a millisecond.
    missed = [settled(last_seen_hash(url), left_at + timedelta(milliseconds=1 + i // 2)) for i in range(120)]
    payments.insert_many(missed)
    await asyncio.sleep(SETTLE_SECONDS)  # the client comes back a moment later, as a real one would

    async with await SocketClient.connect(f"{url}?after={first['data']['cursor']}", small_pages.tls) as resumed:
        sent = await updates_of(resumed, len(missed))
        caught_up = await resumed.next_caught_up()
    async with await SocketClient.connect(f"{url}?after={caught_up['data']['cursor']}", small_pages.tls) as again:
        nothing_new = await again.next_caught_up()
        await asyncio.sleep(QUIET_SECONDS)

    assert ids(sent) == in_change_order(missed)
    assert caught_up["data"] == {"cursor": caught_up["data"]["cursor"], "updates": 120, "complete": True}
    assert again.updates == []
    assert nothing_new["data"]["updates"] == 0 and nothing_new["data"]["complete"] is True


async def test_a_b2c_client_resuming_after_its_cursor_gets_every_withdrawal_paid_in_the_same_second(
    gateway: Gateway, withdrawals: Collection
) -> None:
    subject = f"b2c-same-second-{uuid.uuid4().hex[:8]}"
    url = f"{gateway.wss}/mpesa/b2c/{subject}"
    async with await SocketClient.connect(f"{url}?after=", gateway.tls) as client:
        cursor = (await client.next_caught_up())["data"]["cursor"]
    at_cursor = datetime.fromtimestamp(int(cursor.split("-")[0]) / 1000, UTC)
    paid = [
        withdrawal_document(
            WithdrawalFactory.build(
                subject=subject,
                created_at=at - timedelta(seconds=5),
                updated_at=at,
                status=WithdrawalStatus.SUCCESS,
                result_code="0",
                receipt="TST" + uuid.uuid4().hex[:7].upper(),
            )
        )
        for at in same_second_as(at_cursor, 30)
    ]
    withdrawals.insert_many(paid)

    async with await SocketClient.connect(f"{url}?after={cursor}", gateway.tls) as resumed:
        caught_up = await resumed.next_caught_up()

    by_change = sorted(paid, key=lambda d: (d["updated_at"], d["withdrawal_id"]))
    assert [update["data"]["id"] for update in resumed.updates] == [d["withdrawal_id"] for d in by_change]
    assert (caught_up["data"]["updates"], caught_up["data"]["complete"]) == (30, True)


async def test_a_catch_up_cut_short_says_so_and_its_cursor_continues_until_all_120_came(
    capped: Gateway, payments: Collection
) -> None:
    url = f"{capped.wss}/mpesa/stk/cut-short-{uuid.uuid4().hex[:8]}"
    async with await SocketClient.connect(f"{url}?after=", capped.tls) as client:
        cursor = (await client.next_caught_up())["data"]["cursor"]
    left_at = datetime.fromtimestamp(int(cursor.split("-")[0]) / 1000, UTC)
    missed = [settled(last_seen_hash(url), left_at + timedelta(milliseconds=1 + i // 4)) for i in range(120)]
    payments.insert_many(missed)
    await asyncio.sleep(SETTLE_SECONDS)

    sent: list[dict[str, Any]] = []
    ends: list[dict[str, Any]] = []
    while not ends or not ends[-1]["complete"]:
        async with await SocketClient.connect(f"{url}?after={cursor}", capped.tls) as resumed:
            ends.append((await resumed.next_caught_up())["data"])
            sent.extend(update["data"] for update in resumed.updates)
        cursor = ends[-1]["cursor"]
        assert len(ends) <= 4, ends

    assert ids(sent) == in_change_order(missed)
    assert [(end["updates"], end["complete"]) for end in ends] == [(CAP, False), (CAP, False), (20, True)]


async def test_a_since_client_is_told_when_its_catch_up_was_cut_short(capped: Gateway, payments: Collection) -> None:
    url = f"{capped.wss}/mpesa/stk/cut-short-since-{uuid.uuid4().hex[:8]}"
    since = datetime.now(UTC) - timedelta(minutes=1)
    payments.insert_many([settled(last_seen_hash(url), since + timedelta(milliseconds=i)) for i in range(CAP + 1)])

    async with await SocketClient.connect(f"{url}?since={quote(since.isoformat())}", capped.tls) as resumed:
        end = (await resumed.next_caught_up())["data"]

    assert (end["updates"], end["complete"]) == (CAP, False)


async def test_an_after_that_is_not_a_cursor_closes_the_socket_with_1008(gateway: Gateway) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/resuming?after=yesterday", gateway.tls) as client:
        await asyncio.wait_for(client.connection.wait_closed(), 10)

    assert client.connection.close_code == 1008
    assert client.connection.close_reason == "after must be a cursor from a caught_up message"


def last_seen_hash(url: str) -> str:
    return url.rsplit("/", 1)[1]
