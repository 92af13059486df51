"""The operator's stuck listing: payments, withdrawals and reversals outside a final state, unchanged since a
cutoff."""

from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.client import MongoDatabase
from adapters.mongo.reversal_repository import MongoReversals
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from adapters.mongo.stuck_records import MongoStuckRecords
from domain.b2c.result_codes import WithdrawalStatus
from domain.records.ports import StuckKind
from domain.reversals.reversal import PaymentKind, Reversal, ReversalResult
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import CREATED_AT, PaymentFactory, WithdrawalFactory

# Whole seconds apart: the embedded store compares dates to the second.
CUTOFF = CREATED_AT + timedelta(hours=1)


@pytest.fixture
def stuck(database: MongoDatabase) -> MongoStuckRecords:
    return MongoStuckRecords(database)


@pytest.fixture
def withdrawals(database: MongoDatabase) -> MongoWithdrawalRepository:
    return MongoWithdrawalRepository(database)


def minutes(n: int) -> dict[str, object]:
    """Created and last changed `n` minutes after CREATED_AT."""
    return {"created_at": CREATED_AT + timedelta(minutes=n), "updated_at": CREATED_AT + timedelta(minutes=n)}


async def test_records_not_final_and_unchanged_since_the_cutoff_are_listed_longest_unchanged_first(
    stuck: MongoStuckRecords, payments: MongoPaymentRepository, withdrawals: MongoWithdrawalRepository
) -> None:
    pending = PaymentFactory.build(**minutes(20))
    queued = WithdrawalFactory.build(**minutes(5))
    submitted = WithdrawalFactory.build(status=WithdrawalStatus.SUBMITTED, conversation_id="AG_1", **minutes(10))
    timed_out = WithdrawalFactory.build(status=WithdrawalStatus.TIMEOUT, **minutes(30))
    for payment in (pending, PaymentFactory.build(status=PaymentStatus.SUCCESS, result_code="0", **minutes(1))):
        await payments.add(payment)
    for withdrawal in (queued, submitted, timed_out, WithdrawalFactory.build(status=WithdrawalStatus.FAILED)):
        await withdrawals.add(withdrawal)

    found = await stuck.updated_before(CUTOFF, 10)

    assert [(record.kind, record.id) for record in found] == [
        (StuckKind.B2C, queued.id),
        (StuckKind.B2C, submitted.id),
        (StuckKind.STK, pending.id),
        (StuckKind.B2C, timed_out.id),
    ]


async def test_records_changed_after_the_cutoff_are_not_stuck(
    stuck: MongoStuckRecords, payments: MongoPaymentRepository, withdrawals: MongoWithdrawalRepository
) -> None:
    await payments.add(PaymentFactory.build(updated_at=CUTOFF + timedelta(seconds=1)))
    await withdrawals.add(WithdrawalFactory.build(updated_at=CUTOFF + timedelta(minutes=1)))

    assert await stuck.updated_before(CUTOFF, 10) == []


async def test_the_listing_stops_at_the_limit_across_both_kinds(
    stuck: MongoStuckRecords, payments: MongoPaymentRepository, withdrawals: MongoWithdrawalRepository
) -> None:
    for n in (1, 3, 5):
        await payments.add(PaymentFactory.build(**minutes(n)))
    for n in (2, 4):
        await withdrawals.add(WithdrawalFactory.build(**minutes(n)))

    found = await stuck.updated_before(CUTOFF, 3)

    assert [record.updated_at for record in found] == [CREATED_AT + timedelta(minutes=n) for n in (1, 2, 3)]


async def test_a_stuck_record_shows_what_an_operator_needs_and_no_secret(
    stuck: MongoStuckRecords, payments: MongoPaymentRepository
) -> None:
    payment = replace(PaymentFactory.build(outcome_unknown=True), checkout=None, merchant_request=None)
    await payments.add(payment)

    [record] = await stuck.updated_before(CUTOFF, 10)

    view = record.view()
    assert view == {
        "kind": "stk",
        "id": payment.id,
        "hash": payment.subject,
        "status": "pending",
        "amount": payment.amount.shillings,
        "phone": payment.phone.masked,
        "created_at": CREATED_AT.isoformat(),
        "updated_at": CREATED_AT.isoformat(),
        "outcome_unknown": True,
        "age_seconds": None,  # known only as of a moment: ListStuckRecords adds it
        "checkout": None,
        "merchant_request": None,
    }
    assert payment.callback_token not in str(view)


async def test_the_withdrawal_scan_has_its_index(
    withdrawals: MongoWithdrawalRepository, database: MongoDatabase
) -> None:
    indexes = await database["b2c_withdrawals"].index_information()

    assert (("status", 1), ("updated_at", 1)) in {tuple(tuple(key) for key in i["key"]) for i in indexes.values()}


async def test_a_reversal_whose_outcome_is_unknown_is_stuck_and_a_settled_one_is_not(
    stuck: MongoStuckRecords, database: MongoDatabase
) -> None:
    reversals = MongoReversals(database)
    unknown, reversed_ = (
        Reversal.start(
            reversal_id=reversal_id,
            receipt=receipt,
            amount=Amount(40),
            reason=Description("Refund"),
            subject="",
            payment_id=receipt,
            callback_token=f"token-{reversal_id}",
            now=CREATED_AT + timedelta(minutes=n),
            payment_kind=PaymentKind.C2B,
        )
        for reversal_id, receipt, n in (("rev-1", "RKL51ZDR4A", 1), ("rev-2", "RKL51ZDR4B", 2))
    )
    for reversal in (unknown, reversed_):
        await reversals.add(reversal)
        claimed = await reversals.claim_next(
            "worker-1", reversal.created_at, reversal.created_at + timedelta(minutes=1)
        )
        assert claimed is not None
        claimed.begin_sending(reversal.created_at)
        await reversals.save(claimed)
        claimed.mark_outcome_unknown(reversal.created_at)
        await reversals.save(claimed)
    settled = await reversals.by_id("rev-2")
    assert settled is not None
    settled.settle(
        ReversalResult("R000001", "already reversed", "AG_1", "29115-1-1"), CREATED_AT + timedelta(minutes=30)
    )
    await reversals.save(settled)

    [record] = await stuck.updated_before(CUTOFF, 10)

    assert record.view() == {
        "kind": "reversal",
        "id": "rev-1",
        "hash": "",
        "status": "unknown",
        "amount": 40,
        "phone": None,
        "created_at": (CREATED_AT + timedelta(minutes=1)).isoformat(),
        "updated_at": (CREATED_AT + timedelta(minutes=1)).isoformat(),
        "outcome_unknown": True,
        "age_seconds": None,
        "receipt": "RKL51ZDR4A",
        "originator_conversation_id": None,
        "conversation_id": None,
    }
    assert "token-rev-1" not in str(record.view())
