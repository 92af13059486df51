"""The callback that applies to a record is kept in that record, by the same conditional write that applies it, and
no journal entry is made for it; every other callback still goes to the append-only journal. Against the real
embedded store, counted at the driver."""

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bson import Binary
from pymongo.errors import WriteError

from adapters.mongo.anomaly_log import MongoAnomalyLog
from adapters.mongo.b2c_daily_allowance import MongoDailyAllowance
from adapters.mongo.b2c_withdrawal_repository import MongoWithdrawalRepository
from adapters.mongo.callback_journal import MongoCallbackJournal
from adapters.mongo.callback_trail import MongoCallbackTrail
from adapters.mongo.client import MongoDatabase
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.b2c.use_cases.handle_result import HandleB2cResult
from domain.callbacks.outcome import CallbackOutcome
from domain.callbacks.received_callback import CallbackDigest, CallbackInHand, CallbackKind, DigestReason
from domain.callbacks.trail import KeptIn
from domain.callbacks.use_cases.journal_callback import JournalCallback
from domain.stk.use_cases.handle_callback import HandleStkCallback
from tests.support.factories import (
    PaymentFactory,
    b2c_success_for,
    received_callback,
    submitted_withdrawal,
    success_for,
)
from tests.unit.fakes import FakeBroadcaster, FixedClock

RECEIVED_AT = datetime(2025, 3, 14, 9, 26, 53, 125_000, tzinfo=UTC)  # whole milliseconds, as BSON keeps them
BODY = b'{"Body":{"stkCallback":{"ResultCode":0}}} \xff not text either'
HEADERS = [("content-type", "application/json"), ("authorization", "Bearer kept-out"), ("$where", "1")]


def in_hand(journal_id: str, token: str, kind: CallbackKind = CallbackKind.STK, body: bytes = BODY) -> CallbackInHand:
    received = received_callback(
        kind, body, path_token=token, headers=HEADERS, source="196.201.214.200", at=RECEIVED_AT
    )
    return CallbackInHand(journal_id, received)


def counted(counter: StoreCommandCounter) -> dict[tuple[str, str], int]:
    taken = dict(counter.counts)
    counter.counts.clear()
    return taken


async def test_the_store_keeps_a_whole_sub_document_given_by_a_conditional_replacement_but_refuses_binary_in_one(
    database: MongoDatabase,
) -> None:
    # What the fold relies on in the embedded store: a date stays a date, a list of sub-documents stays one, and the
    # replacement is conditional on the version read. Binary it refuses in a replacement (or, through
    # find_one_and_replace, silently does not replace): so a record keeps the body as base64 text.
    collection = database["fold_pin"]
    await collection.insert_one({"record": "r1", "version": 0})
    text = base64.b64encode(BODY).decode()
    kept = {"body_base64": text, "received_at": RECEIVED_AT, "headers": [{"name": "$where", "value": "1"}]}

    with pytest.raises(WriteError):
        await collection.replace_one({"record": "r1", "version": 0}, {"record": "r1", "body": Binary(BODY)})
    ignored = await collection.find_one_and_replace({"record": "r1", "version": 0}, {"record": "r1", "b": Binary(BODY)})
    stale = await collection.replace_one({"record": "r1", "version": 1}, {"record": "r1", "version": 2})
    applied = await collection.replace_one(
        {"record": "r1", "version": 0}, {"record": "r1", "version": 1, "applied_callback": kept}
    )

    stored = await collection.find_one({"record": "r1"})
    assert (ignored, stale.matched_count, applied.matched_count) == (None, 0, 1)
    assert stored is not None
    assert stored["applied_callback"] == kept
    assert isinstance(stored["applied_callback"]["received_at"], datetime)
    assert base64.b64decode(stored["applied_callback"]["body_base64"]) == BODY


async def test_an_stk_result_that_applies_is_kept_in_the_payment_by_the_write_that_applies_it_and_not_journaled(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store
    payments = MongoPaymentRepository(database)
    handle = HandleStkCallback(payments, FakeBroadcaster(), FixedClock(), MongoAnomalyLog(database))
    payment = PaymentFactory.build()
    await payments.add(payment)
    journal_id = MongoCallbackJournal(database).new_id()
    callback = in_hand(journal_id, payment.callback_token)
    counter.counts.clear()

    outcome = await handle(payment.callback_token, success_for(payment), in_hand=callback)

    assert (outcome, callback.kept_with_record) == (CallbackOutcome.APPLIED, True)
    # The one conditional replacement that settles it and keeps the callback (the payment as this process stored
    # it: no read).
    assert counted(counter) == {("findAndModify", "stk_payments"): 1}
    stored = await database["stk_payments"].find_one({"payment_id": payment.id})
    assert stored is not None
    assert stored["status"] == "success"
    assert stored["applied_callback"] == {
        "journal_id": stored["applied_callback"]["journal_id"],
        "kind": "stk",
        "path_token_hash": hashlib.sha256(payment.callback_token.encode()).hexdigest(),
        "headers": [{"name": "content-type", "value": "application/json"}, {"name": "$where", "value": "1"}],
        "source": "196.201.214.200",
        "received_at": RECEIVED_AT,
        "body_base64": base64.b64encode(BODY).decode(),
    }
    assert str(stored["applied_callback"]["journal_id"]) == journal_id
    assert await database["callback_journal"].count_documents({}) == 0
    reread = await payments.by_callback_token(payment.callback_token)
    assert reread is not None and reread.applied_callback == callback.fold_into(None)


async def test_a_repeat_is_not_kept_in_the_payment_and_goes_to_the_journal(database: MongoDatabase) -> None:
    payments = MongoPaymentRepository(database)
    handle = HandleStkCallback(payments, FakeBroadcaster(), FixedClock(), MongoAnomalyLog(database))
    journal = JournalCallback(MongoCallbackJournal(database), FixedClock())
    payment = PaymentFactory.build()
    await payments.add(payment)
    first, repeat = in_hand(journal.new_id(), payment.callback_token), in_hand(journal.new_id(), payment.callback_token)

    await handle(payment.callback_token, success_for(payment), in_hand=first)
    outcome = await handle(payment.callback_token, success_for(payment), in_hand=repeat)
    await journal.record(repeat.callback, repeat.journal_id)  # what the callback route does with one not kept

    assert (outcome, first.kept_with_record, repeat.kept_with_record) == (CallbackOutcome.DUPLICATE, True, False)
    stored = await database["stk_payments"].find_one({"payment_id": payment.id})
    assert stored is not None and str(stored["applied_callback"]["journal_id"]) == first.journal_id
    [entry] = await database["callback_journal"].find({}).to_list()
    assert (str(entry["_id"]), entry["body"]) == (repeat.journal_id, BODY)


async def test_a_b2c_result_that_applies_is_kept_in_the_withdrawal_and_a_later_one_is_not(
    counted_store: tuple[MongoDatabase, StoreCommandCounter],
) -> None:
    database, counter = counted_store
    withdrawals = MongoWithdrawalRepository(database)
    handle = HandleB2cResult(
        withdrawals, MongoDailyAllowance(database), FakeBroadcaster(), FixedClock(), MongoAnomalyLog(database)
    )
    withdrawal = submitted_withdrawal()
    await withdrawals.add(withdrawal)
    token, result = withdrawal.callback_token, b2c_success_for(withdrawal)
    applied = in_hand("65f2a0c1e4b0a1b2c3d4e5f6", token, CallbackKind.B2C_RESULT)
    repeat = in_hand("65f2a0c1e4b0a1b2c3d4e5f7", token, CallbackKind.B2C_RESULT)
    counter.counts.clear()

    outcome = await handle(token, result, queue_timeout=False, in_hand=applied)
    commands = counted(counter)
    again = await handle(token, result, queue_timeout=False, in_hand=repeat)

    assert (outcome, applied.kept_with_record) == (CallbackOutcome.APPLIED, True)
    assert (again, repeat.kept_with_record) == (CallbackOutcome.DUPLICATE, False)
    assert commands.get(("insert", "callback_journal"), 0) == 0
    assert sum(count for (_, collection), count in commands.items() if collection == "b2c_withdrawals") == 2
    stored = await database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal.id})
    assert stored is not None
    assert (stored["status"], str(stored["applied_callback"]["journal_id"])) == ("success", applied.journal_id)
    assert stored["applied_callback"]["kind"] == "b2c_result"
    assert base64.b64decode(stored["applied_callback"]["body_base64"]) == BODY


async def test_the_trail_of_a_payment_shows_its_applied_callback_and_its_journaled_ones_in_arrival_order(
    database: MongoDatabase,
) -> None:
    payments, journal = MongoPaymentRepository(database), MongoCallbackJournal(database)
    handle = HandleStkCallback(payments, FakeBroadcaster(), FixedClock(), MongoAnomalyLog(database))
    payment = PaymentFactory.build()
    await payments.add(payment)
    token = payment.callback_token
    unreadable = received_callback(CallbackKind.STK, b"{not json", path_token=token, at=RECEIVED_AT)
    applied = in_hand(journal.new_id(), token)  # arrives second, applies
    repeat = received_callback(CallbackKind.STK, BODY, path_token=token, at=RECEIVED_AT + timedelta(seconds=3))
    refused = CallbackDigest.of(
        CallbackKind.STK, token, b"forged", "10.0.0.9", RECEIVED_AT + timedelta(seconds=5), DigestReason.SENDER_REFUSED
    )
    first_id = await journal.record(replace(unreadable, received_at=RECEIVED_AT - timedelta(seconds=2)))
    await handle(token, success_for(payment), in_hand=applied)
    repeat_id = await journal.record(repeat)
    refused_id = await journal.record_digest(refused, journal.new_id())
    await journal.record(received_callback(CallbackKind.STK, BODY, path_token="another-token", at=RECEIVED_AT))

    trail = await MongoCallbackTrail(database).of_record(payment.id)

    assert trail is not None
    assert [(entry.journal_id, entry.kept_in) for entry in trail] == [
        (first_id, KeptIn.JOURNAL),
        (applied.journal_id, KeptIn.RECORD),
        (repeat_id, KeptIn.JOURNAL),
        (refused_id, KeptIn.JOURNAL),
    ]
    assert trail[1].callback == applied.callback
    assert trail[3].view()["digest_reason"] == "sender_refused"
    assert await MongoCallbackTrail(database).of_record("no-such-record") is None


async def test_the_trail_of_a_withdrawal_stored_before_callbacks_were_kept_in_records_is_its_journal(
    database: MongoDatabase,
) -> None:
    withdrawal = submitted_withdrawal()
    await MongoWithdrawalRepository(database).add(withdrawal)  # no applied_callback field, as every older record
    journal_id = await MongoCallbackJournal(database).record(
        received_callback(CallbackKind.B2C_RESULT, BODY, path_token=withdrawal.callback_token, at=RECEIVED_AT)
    )

    trail = await MongoCallbackTrail(database).of_record(withdrawal.id)

    assert trail is not None
    assert [(entry.journal_id, entry.kept_in, entry.view()["body_size"]) for entry in trail] == [
        (journal_id, KeptIn.JOURNAL, len(BODY))
    ]
