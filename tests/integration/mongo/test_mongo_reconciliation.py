"""The reconcilers' queries and claims against the embedded MongoDB-compatible server, over the wire."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.mongo.b2c_withdrawal_document import new_document as withdrawal_document
from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoDatabase, create_mongo_client
from adapters.mongo.embedded_server import EmbeddedMongo
from adapters.mongo.stk_payment_document import new_document
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from adapters.system.identifiers import RandomIdentifiers
from domain.b2c.use_cases.reconcile_withdrawals import ReconcileWithdrawals
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.shared.status_change import ChangeCause
from domain.shared.status_query import status_token_digest
from domain.stk.payment import Payment, StkPushAccepted, StkResult
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.reconcile_payments import ReconcileStkPayments
from migrations.steps import m0004_reconciliation_indexes
from tests.support.factories import PaymentFactory, WithdrawalFactory, started_payment
from tests.unit.fakes import FakeBroadcaster, FakePaymentProvider, FakePayoutProvider, FixedClock, FixedRandom

# Whole seconds: nx-27017 compares dates to the whole second.
T0 = datetime(2025, 3, 14, 9, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=10)


@pytest.fixture
def withdrawals(database: MongoDatabase) -> MongoWithdrawalRepository:
    return MongoWithdrawalRepository(database)


@pytest.fixture
async def databases(embedded_mongo: EmbeddedMongo, database: MongoDatabase) -> AsyncIterator[list[MongoDatabase]]:
    """The test's database through four clients of their own, standing in for separate reconciler processes."""
    clients = [create_mongo_client(embedded_mongo.url) for _ in range(4)]
    try:
        yield [client[database.name] for client in clients]
    finally:
        for client in clients:
            await client.close()


def pending(**overrides: Any) -> Payment:
    fields: dict[str, Any] = {"created_at": T0, "updated_at": T0, "next_check_at": T0 + timedelta(seconds=30)}
    return PaymentFactory.build(**{**fields, **overrides})


def at_daraja(**overrides: Any) -> Withdrawal:
    fields: dict[str, Any] = {
        "created_at": T0,
        "updated_at": T0,
        "status": WithdrawalStatus.SUBMITTED,
        "conversation_id": "AG_" + WithdrawalFactory.__faker__.hexify("^" * 20),
        "next_check_at": T0 + timedelta(seconds=60),
    }
    return WithdrawalFactory.build(**{**fields, **overrides})


async def test_due_payments_are_the_pending_ones_with_a_checkout_whose_check_has_come(
    payments: MongoPaymentRepository,
) -> None:
    later = pending(next_check_at=NOW - timedelta(seconds=2))
    earlier = pending(next_check_at=NOW - timedelta(minutes=5))
    exactly_now = pending(next_check_at=NOW)
    not_yet = pending(next_check_at=NOW + timedelta(seconds=2))
    settled = pending(status=PaymentStatus.SUCCESS, result_code="0", next_check_at=NOW - timedelta(minutes=1))
    lost_answer = pending(checkout=None, merchant_request=None, outcome_unknown=True, next_check_at=None)
    never_scheduled = pending(next_check_at=None)
    for payment in (later, earlier, exactly_now, not_yet, settled, lost_answer, never_scheduled):
        await payments.add(payment)

    due = await payments.due_for_check(NOW, limit=10)

    assert [p.id for p in due] == [earlier.id, later.id, exactly_now.id]
    assert asdict(due[0]) == asdict(earlier)
    assert [p.id for p in await payments.due_for_check(NOW, limit=1)] == [earlier.id]


async def test_due_withdrawals_are_the_submitted_and_timed_out_ones_whose_check_has_come(
    withdrawals: MongoWithdrawalRepository,
) -> None:
    submitted = at_daraja(next_check_at=NOW - timedelta(minutes=1))
    timed_out = at_daraja(
        status=WithdrawalStatus.TIMEOUT, outcome_unknown=True, next_check_at=NOW - timedelta(minutes=2)
    )
    not_yet = at_daraja(next_check_at=NOW + timedelta(seconds=2))
    queued = WithdrawalFactory.build(created_at=T0, updated_at=T0, next_check_at=T0)
    final = [
        at_daraja(status=status, next_check_at=T0)
        for status in (WithdrawalStatus.SUCCESS, WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED)
    ]
    for withdrawal in (submitted, timed_out, not_yet, queued, *final):
        await withdrawals.add(withdrawal)

    due = await withdrawals.due_for_check(NOW, limit=10)

    assert [w.id for w in due] == [timed_out.id, submitted.id]


async def test_four_stk_reconcilers_claim_and_query_each_due_payment_once(
    payments: MongoPaymentRepository, databases: list[MongoDatabase]
) -> None:
    due = [pending() for _ in range(12)]
    for payment in due:
        await payments.add(payment)
    provider, clock = FakePaymentProvider(), FixedClock(NOW)
    reconcilers = [
        ReconcileStkPayments(MongoPaymentRepository(database), provider, FakeBroadcaster(), clock, FixedRandom())
        for database in databases
    ]

    claimed = await asyncio.gather(*(reconcile(limit=20) for reconcile in reconcilers))

    assert sum(claimed) == 12
    assert sorted(provider.queries) == sorted(p.checkout for p in due)
    for payment in due:
        stored = await payments.by_checkout(payment.subject, payment.id)
        assert stored is not None
        assert (stored.check_attempts, stored.version, stored.next_check_at) == (1, 1, NOW + timedelta(seconds=30))
    assert await payments.due_for_check(NOW, limit=20) == []


async def test_four_b2c_reconcilers_claim_and_ask_about_each_due_withdrawal_once(
    withdrawals: MongoWithdrawalRepository, databases: list[MongoDatabase]
) -> None:
    due = [at_daraja() for _ in range(12)]
    for withdrawal in due:
        await withdrawals.add(withdrawal)
    provider, clock = FakePayoutProvider(), FixedClock(NOW)
    reconcilers = [
        ReconcileWithdrawals(MongoWithdrawalRepository(database), provider, clock, FixedRandom(), RandomIdentifiers())
        for database in databases
    ]

    claimed = await asyncio.gather(*(reconcile(limit=20) for reconcile in reconcilers))

    assert sum(claimed) == 12
    assert sorted(provider.status_queried_ids()) == sorted(w.originator_conversation_id for w in due)
    for query in provider.status_requests:  # each asked with the secret of the query its withdrawal has open
        found = await withdrawals.by_status_query(status_token_digest(query.callback_token))
        assert found is not None and found.originator_conversation_id == query.originator_conversation_id
    assert await withdrawals.due_for_check(NOW, limit=20) == []
    assert await withdrawals.due_for_check(NOW + timedelta(seconds=61), limit=20) != []


async def test_a_payment_s_history_round_trips_with_real_dates(
    payments: MongoPaymentRepository, database: MongoDatabase
) -> None:
    payment = started_payment(T0)
    await payments.add(payment)
    payment.accept(StkPushAccepted("29115-34620561-1", "ws_CO_1"), T0 + timedelta(seconds=1, milliseconds=250))
    await payments.save(payment)
    payment.settle(
        StkResult("29115-34620561-1", "ws_CO_1", "1032", "Request cancelled by user"), T0 + timedelta(minutes=1)
    )
    await payments.save(payment)

    found = await payments.by_callback_token(payment.callback_token)

    assert found is not None
    assert found.history == payment.history
    assert [c.cause for c in found.history] == [ChangeCause.REQUEST, ChangeCause.DARAJA_ANSWER, ChangeCause.CALLBACK]
    raw = await database["stk_payments"].find_one({"payment_id": payment.id})
    assert raw is not None
    assert [entry["at"] for entry in raw["history"]] == [c.at for c in payment.history]
    assert all(isinstance(entry["at"], datetime) for entry in raw["history"])


async def test_a_withdrawal_s_history_and_schedule_round_trip_with_real_dates(
    withdrawals: MongoWithdrawalRepository, database: MongoDatabase
) -> None:
    withdrawal = at_daraja(lease_owner="worker-1", status=WithdrawalStatus.QUEUED, conversation_id=None)
    await withdrawals.add(withdrawal)
    withdrawal.begin_submission(T0 + timedelta(seconds=1))
    await withdrawals.save(withdrawal)
    withdrawal.schedule_check(NOW)
    await withdrawals.save(withdrawal)

    found = await withdrawals.by_id(withdrawal.subject, withdrawal.id)

    assert found is not None
    assert asdict(found) == asdict(withdrawal)
    raw = await database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal.id})
    assert raw is not None
    assert isinstance(raw["next_check_at"], datetime)
    assert isinstance(raw["history"][0]["at"], datetime)


async def test_the_migration_schedules_records_left_open_before_reconciliation(
    database: MongoDatabase, payments: MongoPaymentRepository, withdrawals: MongoWithdrawalRepository
) -> None:
    legacy_payment = _legacy(new_document(pending()))
    legacy_lost = _legacy(new_document(pending(checkout=None, merchant_request=None)))
    legacy_settled = _legacy(new_document(pending(status=PaymentStatus.FAILED)))
    legacy_withdrawal = _legacy(withdrawal_document(at_daraja(updated_at=T0 + timedelta(seconds=5))))
    await database["stk_payments"].insert_many([legacy_payment, legacy_lost, legacy_settled])
    await database["b2c_withdrawals"].insert_one(legacy_withdrawal)

    await m0004_reconciliation_indexes.apply(database)

    due_payments = await payments.due_for_check(NOW, limit=10)
    due_withdrawals = await withdrawals.due_for_check(NOW, limit=10)
    assert [(p.id, p.next_check_at, p.check_attempts, p.history) for p in due_payments] == [
        (legacy_payment["payment_id"], T0 + timedelta(seconds=30), 0, [])
    ]
    assert [(w.id, w.next_check_at) for w in due_withdrawals] == [
        (legacy_withdrawal["withdrawal_id"], T0 + timedelta(seconds=65))
    ]
    assert "next_check_at" not in (await database["stk_payments"].find_one({"_id": legacy_settled["_id"]}) or {})


def _legacy(document: dict[str, Any]) -> dict[str, Any]:
    """The document as the code before reconciliation wrote it."""
    for field in ("next_check_at", "check_attempts", "history", "status_query_digest", "status_query_asked_at"):
        document.pop(field, None)
    return document
