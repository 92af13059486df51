"""What one B2C withdrawal costs the store, counted at the driver: the request, the worker's send and Daraja's
Result, each against the real store, with no read of a withdrawal right after it was written."""

import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from adapters.mongo.anomaly_log import MongoAnomalyLog
from adapters.mongo.b2c_daily_allowance import MongoDailyAllowance
from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoDatabase
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.idempotency_keys import MongoIdempotencyKeys
from adapters.system.identifiers import RandomIdentifiers
from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.b2c.use_cases.request_withdrawal import RequestWithdrawal, WithdrawCommand
from domain.b2c.use_cases.submit_withdrawal import SubmitNextWithdrawal
from domain.b2c.withdrawal import WithdrawalStatus
from domain.callbacks.outcome import CallbackOutcome
from tests.support.factories import SUBJECT, b2c_success_for
from tests.unit.fakes import FakeBroadcaster, FakePayoutProvider, FixedClock

WITHDRAWALS = "b2c_withdrawals"


class B2cPath:
    """One gateway instance's B2C use cases over the real store (Daraja and the clients faked)."""

    def __init__(
        self,
        database: MongoDatabase,
        monotonic: Callable[[], float] = time.monotonic,
        clock: FixedClock | None = None,
    ) -> None:
        self.withdrawals = MongoWithdrawalRepository(database, monotonic)
        allowance, broadcaster, clock = MongoDailyAllowance(database), FakeBroadcaster(), clock or FixedClock()
        self.provider = FakePayoutProvider()
        self.request = RequestWithdrawal(
            self.withdrawals,
            allowance,
            broadcaster,
            clock,
            RandomIdentifiers(),
            MongoIdempotencyKeys(database),
            minimum=10,
            maximum=150_000,
            daily_limit=300_000,
        )
        self.submit = SubmitNextWithdrawal(
            self.withdrawals, self.provider, allowance, broadcaster, clock, "worker-1", lease_seconds=30
        )
        self.handle_result = HandleB2cResult(self.withdrawals, allowance, broadcaster, clock, MongoAnomalyLog(database))


@pytest.fixture
def path(counted_store: tuple[MongoDatabase, StoreCommandCounter]) -> B2cPath:
    return B2cPath(counted_store[0])


def commands(counter: StoreCommandCounter) -> dict[tuple[str, str], int]:
    taken = dict(counter.counts)
    counter.counts.clear()
    return taken


async def test_a_withdrawal_is_requested_sent_and_settled_in_five_commands(
    path: B2cPath, counted_store: tuple[MongoDatabase, StoreCommandCounter]
) -> None:
    _, counter = counted_store

    queued = await path.request(WithdrawCommand(SUBJECT, "254712345678", 500, "Withdrawal request"))
    requested = commands(counter)
    submitted = await path.submit()
    sent = commands(counter)
    assert submitted is not None
    await path.handle_result(submitted.callback_token, b2c_success_for(submitted), queue_timeout=False)
    settled = commands(counter)

    assert requested == {("update", "b2c_daily_totals"): 1, ("insert", WITHDRAWALS): 1}
    # The worker knows the withdrawal this process queued: no read; the claim and the start of the submission are
    # one write, Daraja's answer the second.
    assert sent == {("update", WITHDRAWALS): 2}
    # The Result is checked against the state this process stored with Daraja's answer, and written on its version.
    assert settled == {("update", WITHDRAWALS): 1}
    stored = await path.withdrawals.by_id(SUBJECT, queued.id)
    assert stored is not None and stored.status is WithdrawalStatus.SUCCESS
    assert [change.status for change in stored.history] == ["queued", "submitted", "submitted", "success"]
    assert path.provider.sent_ids() == [queued.originator_conversation_id]


async def test_a_withdrawal_another_worker_claimed_is_neither_sent_again_nor_written(
    path: B2cPath, counted_store: tuple[MongoDatabase, StoreCommandCounter]
) -> None:
    database, counter = counted_store
    queued = await path.request(WithdrawCommand(SUBJECT, "254712345678", 500, "Withdrawal request"))
    rival = B2cPath(database)
    assert await rival.submit() is not None
    commands(counter)

    handled = await path.submit()

    assert handled is None
    # Its claim of the withdrawal as it queued it is refused (another instance's worker has it); the queue is read.
    assert commands(counter) == {("update", WITHDRAWALS): 1, ("find", WITHDRAWALS): 1}
    assert path.provider.requests == []
    assert rival.provider.sent_ids() == [queued.originator_conversation_id]


async def test_a_withdrawal_only_the_store_knows_is_claimed_first_once_the_store_is_due_a_read(
    database: MongoDatabase,
) -> None:
    seconds = [0.0]
    other_instance = B2cPath(database)
    older = await other_instance.request(WithdrawCommand(SUBJECT, "254712345601", 500, "Queued elsewhere"))
    path = B2cPath(database, lambda: seconds[0], FixedClock(older.created_at + timedelta(seconds=1)))
    newer = await path.request(WithdrawCommand(SUBJECT, "254712345602", 500, "Queued here"))
    seconds[0] += 1.5

    first = await path.submit()
    second = await path.submit()

    assert first is not None and first.id == older.id
    assert second is not None and second.id == newer.id
    assert path.provider.sent_ids() == [older.originator_conversation_id, newer.originator_conversation_id]


async def test_a_result_another_instance_applied_first_is_read_again_and_changes_nothing(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store
    path = B2cPath(database)
    await path.request(WithdrawCommand(SUBJECT, "254712345678", 500, "Withdrawal request"))
    submitted = await path.submit()
    assert submitted is not None
    paid = b2c_success_for(submitted)
    other_instance = B2cPath(database)
    applied_there = await other_instance.handle_result(submitted.callback_token, paid, queue_timeout=False)
    assert applied_there is CallbackOutcome.APPLIED
    commands(counter)

    outcome = await path.handle_result(submitted.callback_token, paid, queue_timeout=False)

    assert outcome is CallbackOutcome.DUPLICATE
    # Its write on the version it knew is refused; the withdrawal is read and found settled already.
    assert commands(counter) == {("update", WITHDRAWALS): 1, ("find", WITHDRAWALS): 1}
    stored = await path.withdrawals.by_id(SUBJECT, submitted.id)
    assert stored is not None and stored.status is WithdrawalStatus.SUCCESS
    assert [change.status for change in stored.history].count("success") == 1
