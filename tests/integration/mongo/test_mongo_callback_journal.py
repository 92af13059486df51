"""The callback journal keeps each callback as received, appended, with nothing secret in it."""

import asyncio
import hashlib
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from adapters.mongo.callback_journal import MongoCallbackJournal
from adapters.mongo.client import MongoDatabase, create_mongo_client
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.embedded_server import EmbeddedMongo
from domain.callbacks.received_callback import CallbackDigest, CallbackKind, DigestReason, ReceivedCallback
from tests.support.factories import received_callback

TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
# Whole milliseconds: BSON dates keep no finer time.
RECEIVED_AT = datetime(2025, 3, 14, 9, 26, 53, 125_000, tzinfo=UTC)
BODY = b'{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_1"}}}'
HEADERS = [
    ("host", "gateway.example"),
    ("content-type", "application/json"),
    ("authorization", "Bearer stolen"),
    ("cookie", "session=1"),
    ("$where", "1"),
    ("x.forwarded.for", "196.201.214.200"),
]


@pytest.fixture
def journal(database: MongoDatabase) -> MongoCallbackJournal:
    return MongoCallbackJournal(database)


def received(body: bytes = BODY, kind: CallbackKind = CallbackKind.STK) -> ReceivedCallback:
    return received_callback(kind, body, path_token=TOKEN, headers=HEADERS, source="196.201.214.200", at=RECEIVED_AT)


async def test_a_callback_is_stored_as_received_with_its_token_hashed_and_credentials_left_out(
    journal: MongoCallbackJournal, database: MongoDatabase
) -> None:
    journal_id = await journal.record(received())

    stored = await database["callback_journal"].find_one({"_id": ObjectId(journal_id)})
    assert stored is not None
    assert {key: value for key, value in stored.items() if key != "_id"} == {
        "kind": "stk",
        "path_token_hash": hashlib.sha256(TOKEN.encode()).hexdigest(),
        "body": BODY,
        "headers": [
            {"name": "host", "value": "gateway.example"},
            {"name": "content-type", "value": "application/json"},
            {"name": "$where", "value": "1"},
            {"name": "x.forwarded.for", "value": "196.201.214.200"},
        ],
        "source": "196.201.214.200",
        "received_at": RECEIVED_AT,
    }
    assert TOKEN not in str(stored)
    assert "stolen" not in str(stored)


async def test_a_body_that_is_not_text_comes_back_byte_for_byte(
    journal: MongoCallbackJournal, database: MongoDatabase
) -> None:
    raw = bytes(range(256)) + b"\x00\xff{not json"

    journal_id = await journal.record(received(raw, CallbackKind.B2C_RESULT))

    stored = await database["callback_journal"].find_one({"_id": ObjectId(journal_id)})
    assert stored is not None
    assert (stored["body"], stored["kind"]) == (raw, "b2c_result")


async def test_the_same_callback_twice_is_journaled_twice(
    journal: MongoCallbackJournal, database: MongoDatabase
) -> None:
    first = await journal.record(received())
    second = await journal.record(received())

    assert first != second
    assert await database["callback_journal"].count_documents({"path_token_hash": received().path_token_hash}) == 2


async def test_an_entry_made_after_its_id_is_stored_under_that_id(
    journal: MongoCallbackJournal, database: MongoDatabase
) -> None:
    journal_id = journal.new_id()

    assert await journal.record(received(), journal_id) == journal_id
    stored = await database["callback_journal"].find_one({"_id": ObjectId(journal_id)})
    assert stored is not None
    assert stored["body"] == BODY


async def test_a_digest_is_stored_without_body_or_headers(
    journal: MongoCallbackJournal, database: MongoDatabase
) -> None:
    body = b"x" * 50_000
    digest = CallbackDigest.of(
        CallbackKind.B2C_STATUS, TOKEN, body, "203.0.113.9", RECEIVED_AT, DigestReason.SENDER_REFUSED
    )

    journal_id = await journal.record_digest(digest, journal.new_id())

    stored = await database["callback_journal"].find_one({"_id": ObjectId(journal_id)})
    assert stored is not None
    assert {key: value for key, value in stored.items() if key != "_id"} == {
        "kind": "b2c_status",
        "path_token_hash": hashlib.sha256(TOKEN.encode()).hexdigest(),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_size": 50_000,
        "digest_reason": "sender_refused",
        "source": "203.0.113.9",
        "received_at": RECEIVED_AT,
    }


async def test_the_journal_indexes_exist(journal: MongoCallbackJournal, database: MongoDatabase) -> None:
    indexes = await database["callback_journal"].index_information()

    # By key, never by name: the embedded store names indexes its own way.
    assert {tuple(tuple(key) for key in index["key"]) for index in indexes.values()} >= {
        (("received_at", 1),),
        (("path_token_hash", 1), ("received_at", 1)),
    }


async def test_callbacks_arriving_together_are_journaled_in_one_insert_each_once_stored(
    embedded_mongo: EmbeddedMongo,
) -> None:
    counter = StoreCommandCounter()
    client = create_mongo_client(embedded_mongo.url, listeners=[counter])
    database = client["journal_group_test"]
    journal = MongoCallbackJournal(database)
    try:
        ids = await asyncio.gather(*(journal.record(received(BODY + str(n).encode())) for n in range(20)))
        inserts = counter.counts[("insert", "callback_journal")]
        stored = {str(entry["_id"]) async for entry in database["callback_journal"].find({}, {"_id": True})}
    finally:
        await client.drop_database("journal_group_test")
        await client.close()

    assert inserts <= 2  # the first alone, at once; the rest, arrived while it was stored, together
    assert stored == set(ids) and len(ids) == 20


async def test_of_a_group_only_the_entry_the_store_refuses_fails(journal: MongoCallbackJournal) -> None:
    taken = await journal.record(received())

    answers = await asyncio.gather(
        journal.record(received(), taken), journal.record(received()), return_exceptions=True
    )

    assert isinstance(answers[0], Exception)
    assert isinstance(answers[1], str) and answers[1] != taken
