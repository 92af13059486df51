import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoDatabase, create_mongo_client
from adapters.mongo.embedded_server import EmbeddedMongo
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.status_query import OpenStatusQuery, status_token_digest
from domain.shared.transaction_status import TransactionStatusResult
from tests.support.factories import CREATED_AT, SUBJECT, WithdrawalFactory, b2c_success_for, submitted_withdrawal

LATER = CREATED_AT + timedelta(seconds=42)
NOW = CREATED_AT + timedelta(minutes=10)
LEASE_UNTIL = NOW + timedelta(seconds=30, microseconds=250_000)


@pytest.fixture
def withdrawals(database: MongoDatabase) -> MongoWithdrawalRepository:
    return MongoWithdrawalRepository(database)


@pytest.fixture
async def workers(
    embedded_mongo: EmbeddedMongo, database: MongoDatabase
) -> AsyncIterator[list[MongoWithdrawalRepository]]:
    """Four repositories on clients of their own, standing in for separate worker processes."""
    clients = [create_mongo_client(embedded_mongo.url) for _ in range(4)]
    try:
        yield [MongoWithdrawalRepository(client[database.name]) for client in clients]
    finally:
        for client in clients:
            await client.close()


async def test_a_withdrawal_round_trips_with_every_field(withdrawals: MongoWithdrawalRepository) -> None:
    withdrawal = WithdrawalFactory.build(
        status=WithdrawalStatus.SUCCESS,
        updated_at=LATER,
        conversation_id="AG_20250314_00004e4f6a1b2c3d4e5f",
        result_code="0",
        result_desc="The service request is processed successfully.",
        receipt="NLJ41HAY6Q",
        recipient_name="254708374149 - John Doe",
        completed_at="14.03.2025 12:02:15",
        outcome_unknown=True,
        lease_owner="worker-1",
        lease_expires_at=LEASE_UNTIL,
        status_query=OpenStatusQuery(status_token_digest("query-secret"), LATER),
        version=7,
    )
    await withdrawals.add(withdrawal)

    found = await withdrawals.by_callback_token(withdrawal.callback_token)

    assert found is not None
    assert asdict(found) == asdict(withdrawal)
    assert found.version == 7


async def test_times_come_back_in_utc_to_the_millisecond(withdrawals: MongoWithdrawalRepository) -> None:
    nairobi = timezone(timedelta(hours=3))
    written = datetime(2025, 3, 14, 12, 0, 0, 123_456, tzinfo=nairobi)
    withdrawal = WithdrawalFactory.build(created_at=written, updated_at=written, lease_expires_at=written)
    await withdrawals.add(withdrawal)

    found = await withdrawals.by_callback_token(withdrawal.callback_token)

    assert found is not None
    expected = datetime(2025, 3, 14, 9, 0, 0, 123_000, tzinfo=UTC)
    assert (found.created_at, found.updated_at, found.lease_expires_at) == (expected, expected, expected)
    assert found.lease_expires_at is not None and found.lease_expires_at.tzinfo is UTC


async def test_save_stores_the_changes_and_bumps_the_version(withdrawals: MongoWithdrawalRepository) -> None:
    withdrawal = WithdrawalFactory.build()
    await withdrawals.add(withdrawal)
    _submit(withdrawal)

    await withdrawals.save(withdrawal)

    found = await withdrawals.by_callback_token(withdrawal.callback_token)
    assert withdrawal.version == 1
    assert found is not None
    assert (found.status, found.conversation_id, found.lease_owner, found.updated_at, found.version) == (
        WithdrawalStatus.SUBMITTED,
        "AG_20250314_0000aaaa",
        None,
        LATER,
        1,
    )


async def test_saved_times_are_stored_as_dates(withdrawals: MongoWithdrawalRepository, database: MongoDatabase) -> None:
    withdrawal = WithdrawalFactory.build()
    await withdrawals.add(withdrawal)
    withdrawal.lease_expires_at = LATER
    _submit(withdrawal)

    await withdrawals.save(withdrawal)

    # Read raw: a time stored as a string would still map back to a datetime, yet escape date range queries.
    stored = await database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal.id})
    assert stored is not None
    assert (stored["created_at"], stored["updated_at"], stored["lease_expires_at"]) == (CREATED_AT, LATER, LATER)
    assert await database["b2c_withdrawals"].count_documents({"updated_at": {"$gt": CREATED_AT}}) == 1
    assert await database["b2c_withdrawals"].count_documents({"lease_expires_at": {"$lt": NOW}}) == 1


async def test_a_stale_save_raises_so_two_writers_cannot_both_decide(
    withdrawals: MongoWithdrawalRepository,
) -> None:
    withdrawal = WithdrawalFactory.build()
    await withdrawals.add(withdrawal)
    first = await withdrawals.by_callback_token(withdrawal.callback_token)
    second = await withdrawals.by_callback_token(withdrawal.callback_token)
    assert first is not None and second is not None
    _submit(first)
    second.status, second.result_code = WithdrawalStatus.REJECTED, "2001"
    await withdrawals.save(first)

    with pytest.raises(ConcurrentUpdateError):
        await withdrawals.save(second)

    stored = await withdrawals.by_callback_token(withdrawal.callback_token)
    assert stored is not None
    assert (stored.status, stored.version) == (WithdrawalStatus.SUBMITTED, 1)
    assert second.version == 0


async def test_saving_a_withdrawal_never_added_raises(withdrawals: MongoWithdrawalRepository) -> None:
    withdrawal = WithdrawalFactory.build()

    with pytest.raises(ConcurrentUpdateError):
        await withdrawals.save(withdrawal)

    assert await withdrawals.by_callback_token(withdrawal.callback_token) is None


async def test_by_id_finds_a_withdrawal_of_its_own_subject_only(withdrawals: MongoWithdrawalRepository) -> None:
    withdrawal = WithdrawalFactory.build()
    await withdrawals.add(withdrawal)
    await withdrawals.add(WithdrawalFactory.build())

    own = await withdrawals.by_id(SUBJECT, withdrawal.id)
    of_another_subject = await withdrawals.by_id("f" * 32, withdrawal.id)
    unknown = await withdrawals.by_id(SUBJECT, "0" * 24)

    assert own is not None and own.id == withdrawal.id
    assert of_another_subject is None
    assert unknown is None


async def test_by_callback_token_finds_only_its_withdrawal(withdrawals: MongoWithdrawalRepository) -> None:
    withdrawal = WithdrawalFactory.build()
    await withdrawals.add(withdrawal)
    await withdrawals.add(WithdrawalFactory.build())

    found = await withdrawals.by_callback_token(withdrawal.callback_token)
    unknown = await withdrawals.by_callback_token("not-a-token")

    assert found is not None and found.id == withdrawal.id
    assert unknown is None


def asking(token: str, **fields: Any) -> Withdrawal:
    withdrawal = WithdrawalFactory.build(status=WithdrawalStatus.SUBMITTED, **fields)
    withdrawal.open_status_query(token, LATER)
    return withdrawal


async def test_by_status_query_finds_the_withdrawal_whose_open_query_has_that_secret(
    withdrawals: MongoWithdrawalRepository,
) -> None:
    withdrawal = asking("query-secret-a")
    await withdrawals.add(withdrawal)
    await withdrawals.add(asking("query-secret-b"))
    await withdrawals.add(WithdrawalFactory.build(status=WithdrawalStatus.SUBMITTED))  # no query open

    found = await withdrawals.by_status_query(status_token_digest("query-secret-a"))
    by_payout_token = await withdrawals.by_status_query(status_token_digest(withdrawal.callback_token))

    assert found is not None and found.id == withdrawal.id
    assert found.status_query == OpenStatusQuery(status_token_digest("query-secret-a"), LATER)
    assert by_payout_token is None


async def test_a_superseded_or_answered_query_is_no_longer_found(withdrawals: MongoWithdrawalRepository) -> None:
    withdrawal = asking("first-query")
    await withdrawals.add(withdrawal)
    withdrawal.open_status_query("second-query", NOW)
    await withdrawals.save(withdrawal)
    superseded = await withdrawals.by_status_query(status_token_digest("first-query"))
    current = await withdrawals.by_status_query(status_token_digest("second-query"))
    assert current is not None

    current.take_status_answer("second-query", TransactionStatusResult("0", "ok", current.originator_conversation_id))
    await withdrawals.save(current)

    assert superseded is None
    assert await withdrawals.by_status_query(status_token_digest("second-query")) is None
    stored = await withdrawals.by_callback_token(withdrawal.callback_token)
    assert stored is not None and stored.status_query is None


async def test_no_open_query_is_stored_as_an_absent_field_and_many_coexist(
    withdrawals: MongoWithdrawalRepository, database: MongoDatabase
) -> None:
    for _ in range(2):
        await withdrawals.add(WithdrawalFactory.build())

    raw = await database["b2c_withdrawals"].find({}).to_list(None)

    assert all("status_query_digest" not in document for document in raw)


async def test_two_withdrawals_never_share_an_open_query_secret(withdrawals: MongoWithdrawalRepository) -> None:
    await withdrawals.add(asking("same-secret"))

    with pytest.raises(DuplicateKeyError):
        await withdrawals.add(asking("same-secret"))


async def test_a_withdrawal_stored_before_queries_had_secrets_reads_as_no_query_open(
    withdrawals: MongoWithdrawalRepository, database: MongoDatabase
) -> None:
    withdrawal = WithdrawalFactory.build(status=WithdrawalStatus.SUBMITTED)
    await withdrawals.add(withdrawal)
    await database["b2c_withdrawals"].update_one(
        {"withdrawal_id": withdrawal.id}, {"$unset": {"status_query_digest": "", "status_query_asked_at": ""}}
    )

    found = await withdrawals.by_callback_token(withdrawal.callback_token)

    assert found is not None and found.status_query is None


async def test_claim_next_leases_the_oldest_queued_withdrawal(withdrawals: MongoWithdrawalRepository) -> None:
    newer = WithdrawalFactory.build(created_at=CREATED_AT + timedelta(seconds=2))
    oldest = WithdrawalFactory.build(created_at=CREATED_AT)
    middle = WithdrawalFactory.build(created_at=CREATED_AT + timedelta(seconds=1))
    for withdrawal in (newer, oldest, middle):
        await withdrawals.add(withdrawal)

    claimed = await withdrawals.claim_next("worker-1", NOW, LEASE_UNTIL)

    assert claimed is not None
    assert (claimed.id, claimed.lease_owner, claimed.lease_expires_at, claimed.version) == (
        oldest.id,
        "worker-1",
        LEASE_UNTIL,
        1,
    )
    assert claimed.status is WithdrawalStatus.QUEUED
    assert await withdrawals.by_id(SUBJECT, oldest.id) == claimed


async def test_claim_next_gives_the_next_withdrawal_to_the_next_worker(
    withdrawals: MongoWithdrawalRepository,
) -> None:
    first = WithdrawalFactory.build(created_at=CREATED_AT)
    second = WithdrawalFactory.build(created_at=CREATED_AT + timedelta(seconds=1))
    for withdrawal in (first, second):
        await withdrawals.add(withdrawal)

    claims = [await withdrawals.claim_next(worker, NOW, LEASE_UNTIL) for worker in ("w1", "w2", "w3")]

    assert [(claim.id, claim.lease_owner) if claim else None for claim in claims] == [
        (first.id, "w1"),
        (second.id, "w2"),
        None,
    ]


async def test_a_claimed_lease_is_stored_as_a_date(
    withdrawals: MongoWithdrawalRepository, database: MongoDatabase
) -> None:
    withdrawal = WithdrawalFactory.build()
    await withdrawals.add(withdrawal)

    await withdrawals.claim_next("worker-1", NOW, LEASE_UNTIL)

    stored = await database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal.id})
    assert stored is not None
    assert stored["lease_expires_at"] == LEASE_UNTIL
    assert await database["b2c_withdrawals"].count_documents({"lease_expires_at": {"$lt": LEASE_UNTIL}}) == 0
    assert await database["b2c_withdrawals"].count_documents({"lease_expires_at": {"$gt": NOW}}) == 1


async def test_claim_next_skips_withdrawals_that_are_not_queued(withdrawals: MongoWithdrawalRepository) -> None:
    for status in WithdrawalStatus:
        if status is not WithdrawalStatus.QUEUED:
            await withdrawals.add(WithdrawalFactory.build(status=status))
    queued = WithdrawalFactory.build(created_at=LATER)
    await withdrawals.add(queued)

    claimed = await withdrawals.claim_next("worker-1", NOW, LEASE_UNTIL)

    assert claimed is not None and claimed.id == queued.id


async def test_claim_next_skips_a_lease_still_held(withdrawals: MongoWithdrawalRepository) -> None:
    held = WithdrawalFactory.build(lease_owner="worker-0", lease_expires_at=NOW + timedelta(seconds=1))
    # A lease ending exactly now is still held: it is over only once `lease_expires_at < now`.
    ending_now = WithdrawalFactory.build(lease_owner="worker-0", lease_expires_at=NOW)
    free = WithdrawalFactory.build(created_at=LATER)
    for withdrawal in (held, ending_now, free):
        await withdrawals.add(withdrawal)

    claimed = await withdrawals.claim_next("worker-1", NOW, LEASE_UNTIL)
    nothing_left = await withdrawals.claim_next("worker-2", NOW, LEASE_UNTIL)

    assert claimed is not None and claimed.id == free.id
    assert nothing_left is None
    untouched = await withdrawals.by_id(SUBJECT, held.id)
    assert untouched is not None and (untouched.lease_owner, untouched.version) == ("worker-0", 0)


async def test_claim_next_never_takes_a_withdrawal_past_queued_whose_lease_ended(
    withdrawals: MongoWithdrawalRepository,
) -> None:
    # A worker died mid-send: the withdrawal is submitted and its lease is over. It must never be sent again.
    in_flight = WithdrawalFactory.build(
        status=WithdrawalStatus.SUBMITTED, lease_owner="worker-0", lease_expires_at=NOW - timedelta(seconds=5)
    )
    await withdrawals.add(in_flight)

    claimed = await withdrawals.claim_next("worker-1", NOW, LEASE_UNTIL)

    assert claimed is None


async def test_claim_next_takes_over_a_lease_that_ended(withdrawals: MongoWithdrawalRepository) -> None:
    # A whole second earlier: nx-27017 compares dates to the second (MongoDB to the millisecond).
    abandoned = WithdrawalFactory.build(lease_owner="worker-0", lease_expires_at=NOW - timedelta(seconds=1))
    await withdrawals.add(abandoned)
    await withdrawals.add(WithdrawalFactory.build(created_at=LATER))

    claimed = await withdrawals.claim_next("worker-1", NOW, LEASE_UNTIL)

    assert claimed is not None
    assert (claimed.id, claimed.lease_owner, claimed.lease_expires_at) == (abandoned.id, "worker-1", LEASE_UNTIL)


async def test_claim_next_finds_nothing_in_an_empty_queue(withdrawals: MongoWithdrawalRepository) -> None:
    claimed = await withdrawals.claim_next("worker-1", NOW, LEASE_UNTIL)

    assert claimed is None


async def test_concurrent_workers_claim_each_withdrawal_exactly_once(
    withdrawals: MongoWithdrawalRepository, workers: list[MongoWithdrawalRepository]
) -> None:
    queued = [WithdrawalFactory.build(created_at=CREATED_AT + timedelta(milliseconds=i)) for i in range(50)]
    for withdrawal in queued:
        await withdrawals.add(withdrawal)

    claims = await asyncio.gather(*(_drain(repository, f"worker-{n}") for n, repository in enumerate(workers)))

    claimed = [(withdrawal.id, f"worker-{n}") for n, by_one in enumerate(claims) for withdrawal in by_one]
    assert sorted(withdrawal_id for withdrawal_id, _ in claimed) == sorted(w.id for w in queued)
    for withdrawal_id, worker in claimed:
        stored = await withdrawals.by_id(SUBJECT, withdrawal_id)
        assert stored is not None and (stored.lease_owner, stored.version) == (worker, 1)


async def test_the_withdrawal_indexes_exist(database: MongoDatabase) -> None:
    indexes = await database["b2c_withdrawals"].index_information()

    # By key, never by name: the embedded store names indexes its own way.
    assert {_describe(index) for index in indexes.values()} >= {
        ((("withdrawal_id", 1),), True),
        ((("originator_conversation_id", 1),), True),
        ((("callback_token", 1),), True),
        ((("conversation_id", 1),), True),
        ((("status", 1), ("created_at", 1)), False),
        ((("hash", 1), ("created_at", 1)), False),
    }


@pytest.mark.parametrize("field", ["id", "originator_conversation_id", "callback_token", "conversation_id"])
async def test_a_duplicate_unique_field_is_rejected(withdrawals: MongoWithdrawalRepository, field: str) -> None:
    first = WithdrawalFactory.build(conversation_id="AG_20250314_0000aaaa")
    await withdrawals.add(first)
    second = WithdrawalFactory.build(**{"conversation_id": "AG_20250314_0000bbbb", field: asdict(first)[field]})

    with pytest.raises(DuplicateKeyError):
        await withdrawals.add(second)


async def test_withdrawals_still_waiting_for_a_conversation_id_coexist(
    withdrawals: MongoWithdrawalRepository,
) -> None:
    waiting = [WithdrawalFactory.build(conversation_id=None) for _ in range(3)]

    for withdrawal in waiting:
        await withdrawals.add(withdrawal)

    found = [await withdrawals.by_callback_token(withdrawal.callback_token) for withdrawal in waiting]
    assert [withdrawal.id for withdrawal in found if withdrawal is not None] == [w.id for w in waiting]


async def _drain(repository: MongoWithdrawalRepository, worker: str) -> list[Withdrawal]:
    claimed = []
    while (withdrawal := await repository.claim_next(worker, NOW, LEASE_UNTIL)) is not None:
        claimed.append(withdrawal)
    return claimed


def _submit(withdrawal: Withdrawal) -> None:
    # Fields set by hand: the state machine is the domain's business, the repository only stores what it is given.
    withdrawal.status = WithdrawalStatus.SUBMITTED
    withdrawal.conversation_id = "AG_20250314_0000aaaa"
    withdrawal.updated_at = LATER


def _describe(index: dict[str, Any]) -> tuple[tuple[tuple[str, int], ...], bool]:
    return tuple((field, int(direction)) for field, direction in index["key"]), bool(index.get("unique"))


async def test_a_success_held_unconfirmed_round_trips(withdrawals: MongoWithdrawalRepository) -> None:
    withdrawal = submitted_withdrawal()
    await withdrawals.add(withdrawal)
    held = b2c_success_for(withdrawal)
    withdrawal.hold_unconfirmed_success(held, LATER, recheck_at=LATER)
    await withdrawals.save(withdrawal)

    found = await withdrawals.by_callback_token(withdrawal.callback_token)

    assert found is not None
    assert found.unconfirmed_success == held
