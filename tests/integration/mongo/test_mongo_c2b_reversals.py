"""A reversed C2B payment and the request it is taken off, on the real embedded store."""

from datetime import timedelta

import pytest

from adapters.mongo.c2b_payment_repository import MongoC2bPayments
from adapters.mongo.c2b_request_repository import MongoPaymentRequests
from adapters.mongo.client import MongoDatabase
from adapters.mongo.event_outbox import MongoEventOutbox
from adapters.mongo.reversal_repository import MongoReversals
from domain.c2b.errors import ReferenceTakenError
from domain.c2b.payment_request import RequestStatus
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.events.types import C2B_PAYMENT
from domain.reversals.reversal import PaymentKind, Reversal
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import ConcurrentUpdateError
from tests.support.factories import CREATED_AT, SUBJECT, c2b_transaction, payment_request
from tests.unit.fakes import FakeBroadcaster, FixedClock


async def test_a_reversal_link_is_stored_once_from_the_version_read_and_its_event_waits_in_the_outbox(
    database: MongoDatabase,
) -> None:
    payments = MongoC2bPayments(database)
    outbox = MongoEventOutbox(database)
    confirm = ConfirmPayment(MongoPaymentRequests(database), payments, FakeBroadcaster(), FixedClock(CREATED_AT))
    await confirm(c2b_transaction(500))
    [received] = await outbox.pending(10, frozenset({C2B_PAYMENT}))
    await outbox.mark_relayed(received)
    stale = await payments.by_trans_id("RKL51ZDR4F")
    fresh = await payments.by_trans_id("RKL51ZDR4F")
    assert stale is not None and fresh is not None

    assert fresh.mark_reversed("rev-1", CREATED_AT + timedelta(minutes=5))
    await payments.save(fresh)
    stale.mark_reversed("rev-2", CREATED_AT + timedelta(minutes=6))
    with pytest.raises(ConcurrentUpdateError):
        await payments.save(stale)

    stored = await payments.by_trans_id("RKL51ZDR4F")
    assert stored is not None
    assert (stored.reversal_id, stored.reversed_at, stored.version) == ("rev-1", CREATED_AT + timedelta(minutes=5), 1)
    [pending] = await outbox.pending(10, frozenset({C2B_PAYMENT}))
    assert (pending.version, [change.status for change in pending.history]) == (1, ["received", "reversed"])
    assert pending.current_view["reversal_id"] == "rev-1"


async def test_a_reversed_confirmation_reads_back_and_a_reopened_request_holds_its_reference_again(
    database: MongoDatabase,
) -> None:
    requests = MongoPaymentRequests(database)
    stored = payment_request()
    stored.apply(c2b_transaction(100), CREATED_AT)
    await requests.add(stored)
    assert stored.status is RequestStatus.PAID
    read = await requests.by_id(SUBJECT, "req-1")
    assert read is not None

    assert read.reverse("RKL51ZDR4F", 100, CREATED_AT + timedelta(minutes=1))
    await requests.save(read)

    again = await requests.by_id(SUBJECT, "req-1")
    assert again == read
    assert (again.status, again.received, again.confirmations["RKL51ZDR4F"].reversed_at) == (
        RequestStatus.OPEN,
        0,
        CREATED_AT + timedelta(minutes=1),
    )
    with pytest.raises(ReferenceTakenError):
        await requests.add(payment_request("req-2"))


async def test_a_reversal_of_a_c2b_payment_reads_back_with_its_kind(database: MongoDatabase) -> None:
    reversals = MongoReversals(database)
    reversal = Reversal.start(
        reversal_id="rev-1",
        receipt="RKL51ZDR4F",
        amount=Amount(500),
        reason=Description("Wrong account"),
        subject="",
        payment_id="RKL51ZDR4F",
        callback_token="t" * 32,
        now=CREATED_AT,
        payment_kind=PaymentKind.C2B,
        receiver_party="600984",
    )

    await reversals.add(reversal)

    stored = await reversals.by_id("rev-1")
    assert stored is not None
    assert (stored.payment_kind, stored.subject, stored.view()["payment_kind"]) == (PaymentKind.C2B, "", "c2b")
    assert stored.reversal_request().receiver_party == "600984"


async def test_a_request_is_not_reopened_over_a_newer_open_request_holding_its_reference(
    database: MongoDatabase,
) -> None:
    requests = MongoPaymentRequests(database)
    closed = payment_request("req-1")
    closed.apply(c2b_transaction(100), CREATED_AT)
    await requests.add(closed)
    await requests.add(payment_request("req-2"))
    read = await requests.by_id(SUBJECT, "req-1")
    assert read is not None
    read.reverse("RKL51ZDR4F", 100, CREATED_AT + timedelta(minutes=1), may_reopen=True)

    with pytest.raises(ConcurrentUpdateError):
        await requests.save(read)

    assert (await requests.by_id(SUBJECT, "req-1")) == closed
    assert await database["c2b_requests"].count_documents({"open_reference": "INV-42"}) == 1
