"""Reversals in the embedded store over the wire: one live reversal per receipt, the worker's claim, the outbox."""

import asyncio
from datetime import timedelta

import pytest

from adapters.mongo.client import MongoDatabase
from adapters.mongo.event_outbox import MongoEventOutbox
from adapters.mongo.reversal_repository import MongoReversals
from adapters.mongo.reversible_payments import MongoReversiblePayments
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.events.types import REVERSAL
from domain.reversals.errors import ReversalAlreadyRequestedError
from domain.reversals.reversal import Reversal, ReversalAccepted, ReversalResult, ReversalStatus
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.status_query import status_token_digest
from tests.support.factories import CREATED_AT, STK_RECEIPT, PaymentFactory, requested_reversal, success_for

NOW = CREATED_AT
RECEIPT = STK_RECEIPT


async def sent(reversals: MongoReversals, reversal_id: str = "rev-1") -> Reversal:
    claimed = await reversals.claim_next("worker-1", NOW, NOW + timedelta(seconds=30))
    assert claimed is not None and claimed.id == reversal_id
    claimed.begin_sending(NOW)
    await reversals.save(claimed)
    claimed.mark_sent(ReversalAccepted("AG_20261204_0001", "29115-1-1"), NOW)
    await reversals.save(claimed)
    return claimed


async def test_a_reversal_reads_back_as_it_was_stored(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)
    stored = requested_reversal()

    await reversals.add(stored)
    claimed = await sent(reversals)

    assert await reversals.by_id("rev-1") == claimed
    assert await reversals.by_callback_token("token-rev-1") == claimed
    assert await reversals.by_id("rev-2") is None


async def test_a_second_live_reversal_of_a_receipt_is_refused_by_the_store(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)
    await reversals.add(requested_reversal("rev-1"))

    with pytest.raises(ReversalAlreadyRequestedError):
        await reversals.add(requested_reversal("rev-2"))

    assert await reversals.by_id("rev-2") is None


async def test_racing_requests_for_one_receipt_store_exactly_one(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)

    outcomes = await asyncio.gather(
        *(reversals.add(requested_reversal(f"rev-{n}")) for n in range(4)), return_exceptions=True
    )

    assert sum(outcome is None for outcome in outcomes) == 1
    assert all(isinstance(o, ReversalAlreadyRequestedError) for o in outcomes if o is not None)


async def test_a_failed_reversal_frees_its_receipt_for_a_new_one(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)
    await reversals.add(requested_reversal("rev-1"))
    first = await sent(reversals)
    first.settle(ReversalResult("R000002", "The OriginalTransactionID is invalid.", "AG_20261204_0001"), NOW)
    await reversals.save(first)

    await reversals.add(requested_reversal("rev-2"))

    assert (await reversals.by_id("rev-2")) is not None
    assert (await reversals.by_id("rev-1")).status is ReversalStatus.FAILED  # type: ignore[union-attr]


async def test_a_stale_save_is_refused(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)
    await reversals.add(requested_reversal())
    claimed = await reversals.claim_next("worker-1", NOW, NOW + timedelta(seconds=30))
    stale = await reversals.by_id("rev-1")
    assert claimed is not None and stale is not None
    claimed.begin_sending(NOW)
    await reversals.save(claimed)

    with pytest.raises(ConcurrentUpdateError):
        await reversals.save(stale)


async def test_workers_racing_for_one_reversal_claim_it_once(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)
    await reversals.add(requested_reversal())

    claims = await asyncio.gather(
        *(reversals.claim_next(f"worker-{n}", NOW, NOW + timedelta(seconds=30)) for n in range(4))
    )

    assert sum(claim is not None for claim in claims) == 1


async def test_a_lease_is_taken_over_only_once_it_ended(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)
    await reversals.add(requested_reversal())
    await reversals.claim_next("worker-1", NOW, NOW + timedelta(seconds=30))

    early = await reversals.claim_next("worker-2", NOW + timedelta(seconds=10), NOW + timedelta(seconds=40))
    late = await reversals.claim_next("worker-2", NOW + timedelta(seconds=31), NOW + timedelta(seconds=61))

    assert early is None
    assert late is not None and late.lease_owner == "worker-2"


async def test_a_completed_payment_is_found_by_its_receipt_and_marked_reversed(database: MongoDatabase) -> None:
    payments = MongoPaymentRepository(database)
    payment = PaymentFactory.build(id="pay-1")
    await payments.add(payment)
    payment.settle(success_for(payment, receipt=RECEIPT), NOW)
    await payments.save(payment)
    reversible = MongoReversiblePayments(database)

    found = await reversible.by_receipt(RECEIPT)
    assert found is not None and found.reversal_id is None
    found.mark_reversed("rev-1", NOW)
    await reversible.save(found)

    again = await reversible.by_receipt(RECEIPT)
    assert again is not None and again.reversal_id == "rev-1" and again.view()["reversal_id"] == "rev-1"
    assert await reversible.by_receipt("NLJ7RT6100") is None


async def test_every_write_of_a_reversal_puts_its_changes_in_the_outbox_and_says_so(database: MongoDatabase) -> None:
    told: list[None] = []
    reversals = MongoReversals(database, written=lambda: told.append(None))
    await reversals.add(requested_reversal())
    await sent(reversals)

    pending = await MongoEventOutbox(database).pending(10, frozenset({REVERSAL}))

    assert [(r.record_id, [c.status for c in r.history]) for r in pending] == [
        ("rev-1", ["requested", "unknown", "sent"])
    ]
    assert len(told) == 3  # the insert and both saves: the event relay looks at once after each


async def test_a_sent_reversal_comes_due_and_its_open_query_finds_it(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)
    await reversals.add(requested_reversal())
    claimed = await sent(reversals)
    assert await reversals.due_for_check(NOW + timedelta(seconds=60), 10) == []
    due = await reversals.due_for_check(NOW + timedelta(minutes=3), 10)
    assert [r.id for r in due] == ["rev-1"]

    query = due[0].open_status_query("query-secret", NOW, NOW + timedelta(minutes=10))
    await reversals.save(due[0])

    found = await reversals.by_status_query(status_token_digest("query-secret"))
    assert found is not None and found.status_query == due[0].status_query
    assert query.originator_conversation_id == claimed.originator_conversation_id
    assert await reversals.due_for_check(NOW + timedelta(minutes=3), 10) == []
    assert await reversals.by_status_query(status_token_digest("another")) is None
