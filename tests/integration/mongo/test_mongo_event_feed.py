"""The event feed and its outbox against the embedded store: dense numbers, each event once, nothing skipped."""

import asyncio
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo import monitoring

from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.c2b_payment_repository import MongoC2bPayments
from adapters.mongo.c2b_request_repository import MongoPaymentRequests
from adapters.mongo.client import MongoDatabase, create_mongo_client
from adapters.mongo.embedded_server import EmbeddedMongo
from adapters.mongo.event_log import MongoEventLog
from adapters.mongo.event_outbox import MongoEventOutbox
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.c2b.confirmation import PaymentMatch
from domain.callbacks.received_callback import AppliedCallback
from domain.events.event import Event
from domain.stk.payment import Payment, StkPushAccepted
from tests.support.factories import (
    CREATED_AT,
    SUBJECT,
    c2b_payment,
    c2b_transaction,
    payment_request,
    received_callback,
    started_payment,
    started_withdrawal,
    success_for,
)
from tests.support.factories import event as shared_event


def event(number: int) -> Event:
    return shared_event(number, id=f"evt_{number:04d}", record_id=f"pay{number}", data={"id": f"pay{number}"})


def new_payment(payment_id: str) -> Payment:
    return started_payment(id=payment_id, callback_token=f"token-{payment_id}")


async def test_events_are_numbered_densely_and_stored_once(database: MongoDatabase) -> None:
    log = MongoEventLog(database)

    added = [await log.append(event(n)) for n in (1, 2, 3)]
    again = await log.append(event(2))

    stored = await log.after(0, 10)
    assert added == [True, True, True] and again is False
    assert [(e.sequence, e.id) for e in stored] == [(1, "evt_0001"), (2, "evt_0002"), (3, "evt_0003")]
    assert stored[0].data == {"id": "pay1"} and stored[0].created == CREATED_AT
    assert await log.last_sequence() == 3
    assert [e.sequence for e in await log.after(1, 1)] == [2]


async def test_relays_appending_at_once_never_share_or_skip_a_number(database: MongoDatabase) -> None:
    relays = [MongoEventLog(database) for _ in range(3)]

    # Every relay tries every event: each is stored once, and the numbers are 1..30 without a gap.
    await asyncio.gather(*(relay.append(event(n)) for n in range(30) for relay in relays))

    stored = await relays[0].after(0, 100)
    assert [e.sequence for e in stored] == list(range(1, 31))
    assert sorted(e.id for e in stored) == sorted(event(n).id for n in range(30))


async def test_relays_taking_turns_number_on_from_each_other_and_store_nothing_twice(
    database: MongoDatabase,
) -> None:
    first, second = MongoEventLog(database), MongoEventLog(database)

    # `first` last gave number 2; `second` then gives 3 and 4; `first` must not reuse 3, nor store twice what
    # `second` stored, nor what it stored itself.
    turns = [
        await first.append(event(1)),
        await first.append(event(2)),
        await second.append(event(3)),
        await second.append(event(4)),
        await first.append(event(5)),
        await first.append(event(3)),
        await second.append(event(1)),
        await second.append(event(5)),
    ]

    stored = await first.after(0, 10)
    assert turns == [True, True, True, True, True, False, False, False]
    assert [(e.sequence, e.id) for e in stored] == [(n, event(n).id) for n in (1, 2, 3, 4, 5)]


async def test_the_feed_stops_before_a_number_not_visible_yet(database: MongoDatabase) -> None:
    log = MongoEventLog(database)
    for n in (1, 2):
        await log.append(event(n))
    # As a reader may see it while number 3 is being stored: number 4 is there already.
    await database["events"].insert_one({**_raw(event(4)), "sequence": 4})

    assert [e.sequence for e in await log.after(0, 10)] == [1, 2]
    assert await log.after(2, 10) == []


def unversioned(view: dict[str, object]) -> dict[str, object]:
    """A change's snapshot is the record's view less its version, which only the save that stores it gives."""
    return {key: value for key, value in view.items() if key != "version"}


def _raw(e: Event) -> dict[str, object]:
    return {
        "event_id": e.id,
        "type": e.type,
        "record_kind": e.record_kind,
        "record_id": e.record_id,
        "created": e.created,
        "data": e.data,
    }


async def test_every_write_of_a_record_puts_it_in_the_outbox_until_relayed(database: MongoDatabase) -> None:
    payments, outbox = MongoPaymentRepository(database), MongoEventOutbox(database)
    payment = new_payment("pay-outbox")
    await payments.add(payment)

    [added] = await outbox.pending(10)
    await outbox.mark_relayed(added)
    relayed = await outbox.pending(10)
    payment.accept(StkPushAccepted("mr", "ws_CO_9"), CREATED_AT + timedelta(seconds=1))
    await payments.save(payment)
    [saved] = await outbox.pending(10)

    assert added.record_kind == "stk" and added.record_id == "pay-outbox"
    assert [change.snapshot["status"] for change in added.history if change.snapshot] == ["pending"]
    assert relayed == []
    assert len(saved.history) == 2 and saved.history[1].snapshot == unversioned(payment.view())
    assert saved.current_view == payment.view()


async def test_a_relay_that_read_an_older_version_leaves_the_newer_write_pending(database: MongoDatabase) -> None:
    payments, outbox = MongoPaymentRepository(database), MongoEventOutbox(database)
    payment = new_payment("pay-race")
    await payments.add(payment)
    [read_by_relay] = await outbox.pending(10)
    payment.accept(StkPushAccepted("mr", "ws_CO_8"), CREATED_AT + timedelta(seconds=1))
    await payments.save(payment)

    await outbox.mark_relayed(read_by_relay)

    [still] = await outbox.pending(10)
    assert still.version == 1 and len(still.history) == 2


async def test_withdrawals_are_in_the_outbox_too(database: MongoDatabase) -> None:
    withdrawals, outbox = MongoWithdrawalRepository(database), MongoEventOutbox(database)
    withdrawal = started_withdrawal(id="wd-outbox", originator_conversation_id="oc-1", callback_token="token-wd")
    await withdrawals.add(withdrawal)

    [pending] = await outbox.pending(10)

    assert (pending.record_kind, pending.record_id) == ("b2c", "wd-outbox")
    assert pending.history[0].snapshot == unversioned(withdrawal.view())


async def test_a_batch_is_numbered_on_densely_in_one_insert_and_stores_nothing_twice(database: MongoDatabase) -> None:
    first, second = MongoEventLog(database), MongoEventLog(database)
    await first.append_all([event(1), event(2)])
    # `second` numbers on from 3; `first` still believes 2 was its last, and offers 2 again among new ones.
    added_by_second = await second.append_all([event(3), event(4)])
    added_by_first = await first.append_all([event(2), event(5), event(4), event(6)])

    stored = await first.after(0, 10)
    assert (added_by_second, added_by_first) == (2, 2)
    assert [(e.sequence, e.id) for e in stored] == [(n, event(n).id) for n in (1, 2, 3, 4, 5, 6)]


async def test_relays_appending_batches_at_once_never_share_or_skip_a_number(database: MongoDatabase) -> None:
    relays = [MongoEventLog(database) for _ in range(3)]
    batches = [[event(n) for n in range(start, start + 5)] for start in range(0, 30, 5)]

    await asyncio.gather(*(relay.append_all(batch) for batch in batches for relay in relays))

    stored = await relays[0].after(0, 100)
    assert [e.sequence for e in stored] == list(range(1, 31))
    assert sorted(e.id for e in stored) == sorted(event(n).id for n in range(30))


async def test_marking_records_relayed_at_once_leaves_a_newer_write_pending(database: MongoDatabase) -> None:
    payments, outbox = MongoPaymentRepository(database), MongoEventOutbox(database)
    first, second = new_payment("pay-a"), new_payment("pay-b")
    for payment in (first, second):
        await payments.add(payment)
    read_by_relay = await outbox.pending(10)
    second.accept(StkPushAccepted("mr", "ws_CO_7"), CREATED_AT + timedelta(seconds=1))
    await payments.save(second)

    await outbox.mark_all_relayed(read_by_relay)

    [still] = await outbox.pending(10)
    assert (still.record_id, still.version) == ("pay-b", 1)


async def test_a_look_at_some_kinds_reads_only_their_collections(database: MongoDatabase) -> None:
    await MongoPaymentRepository(database).add(new_payment("pay-kinds"))
    await MongoWithdrawalRepository(database).add(
        started_withdrawal(id="wd-kinds", originator_conversation_id="oc-kinds", callback_token="token-wd-kinds")
    )
    outbox = MongoEventOutbox(database)

    only_payments = await outbox.pending(10, frozenset({"stk"}))
    only_withdrawals = await outbox.pending(10, frozenset({"b2c"}))
    every_kind = await outbox.pending(10)

    assert [record.record_id for record in only_payments] == ["pay-kinds"]
    assert [record.record_id for record in only_withdrawals] == ["wd-kinds"]
    assert sorted(record.record_id for record in every_kind) == ["pay-kinds", "wd-kinds"]


async def test_a_c2b_payment_and_the_request_it_settles_are_in_the_outbox_until_relayed(
    database: MongoDatabase,
) -> None:
    requests, c2b_payments, outbox = (
        MongoPaymentRequests(database),
        MongoC2bPayments(database),
        MongoEventOutbox(database),
    )
    request = payment_request("req-outbox", "INV-9", 100, metadata={})
    await requests.add(request)
    open_request_pending = await outbox.pending(10)
    transaction = c2b_transaction(100, "TLK4OUTBOX1", "INV-9")
    at = CREATED_AT + timedelta(minutes=1)
    await c2b_payments.record(c2b_payment(transaction, at, PaymentMatch.APPLIED, request.id, SUBJECT))
    request.apply(transaction, at)
    await requests.save(request)

    pending = await outbox.pending(10)
    await outbox.mark_all_relayed(pending)

    assert open_request_pending == []  # an open request has no event yet
    assert [(r.record_kind, r.record_id) for r in pending] == [
        ("c2b.payment", "TLK4OUTBOX1"),
        ("c2b.request", "req-outbox"),
    ]
    payment, paid = pending
    assert [change.status for change in payment.history] == ["received"]
    assert payment.current_view["trans_id"] == "TLK4OUTBOX1"
    assert [change.status for change in paid.history] == ["paid"]
    assert paid.history[0].snapshot == unversioned(request.view())
    assert await outbox.pending(10) == []


class FindReplies(monitoring.CommandListener):
    """The documents each `find` reply carried, as the store sent them."""

    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name == "find":
            self.documents.extend(event.reply["cursor"]["firstBatch"])

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_the_relay_reads_a_settled_payment_without_the_raw_callback_it_keeps(
    embedded_mongo: EmbeddedMongo, database: MongoDatabase
) -> None:
    replies = FindReplies()
    client = create_mongo_client(embedded_mongo.url, listeners=[replies])
    try:
        watched = client[database.name]
        payments, outbox = MongoPaymentRepository(watched), MongoEventOutbox(watched)
        payment = new_payment("pay-applied")
        await payments.add(payment)
        payment.accept(StkPushAccepted("mr", "ws_CO_7"), CREATED_AT + timedelta(seconds=1))
        payment.settle(success_for(payment), CREATED_AT + timedelta(seconds=2))
        payment.applied_callback = AppliedCallback(str(ObjectId()), received_callback(body=b'{"Body": {}}'))
        await payments.save(payment)

        [pending] = await outbox.pending(10)
    finally:
        await client.close()

    assert [change.status for change in pending.history] == ["pending", "pending", "success"]
    assert pending.current_view == payment.view()
    stored = await database["stk_payments"].find_one({"payment_id": "pay-applied"})
    assert stored is not None and "applied_callback" in stored
    assert [document["payment_id"] for document in replies.documents] == ["pay-applied"]
    assert all("applied_callback" not in document for document in replies.documents)
