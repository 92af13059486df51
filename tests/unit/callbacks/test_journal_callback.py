"""A callback is journaled as it arrived, with its URL's token hashed and credentials left out; one that may not
fill the store only as a digest of fixed size, within a per-minute budget."""

import hashlib
from collections.abc import Awaitable

import pytest
from structlog.testing import capture_logs

from domain.callbacks.received_callback import CallbackKind, DigestReason
from domain.callbacks.use_cases.journal_callback import DigestBudget, JournalCallback
from domain.shared.errors import StoreUnavailableError
from tests.unit.fakes import FakeCallbackJournal, FixedClock

TOKEN = "cb-secret-0001-abcdefghijklmnopqrstuvwxyz"
BODY = b'{"Body": {"stkCallback": {"CheckoutRequestID": "ws_CO_1"}}}\n'
HEADERS = [
    ("host", "gateway.example"),
    ("content-type", "application/json"),
    ("Authorization", "Bearer stolen"),
    ("cookie", "session=1"),
    ("x-forwarded-for", "196.201.214.200"),
    ("x-forwarded-for", "10.0.0.1"),
]


@pytest.fixture
def journal() -> FakeCallbackJournal:
    return FakeCallbackJournal()


@pytest.fixture
def journal_callback(journal: FakeCallbackJournal, clock: FixedClock) -> JournalCallback:
    return JournalCallback(journal, clock)


async def test_the_callback_is_kept_as_received_with_its_token_hashed(
    journal_callback: JournalCallback, journal: FakeCallbackJournal, clock: FixedClock
) -> None:
    journal_id = await journal_callback(CallbackKind.STK, TOKEN, BODY, HEADERS, "196.201.214.200")

    [entry] = journal.entries
    assert journal_id == "journal-1"
    assert (entry.kind, entry.body, entry.source, entry.received_at) == (
        CallbackKind.STK,
        BODY,
        "196.201.214.200",
        clock.now(),
    )
    assert entry.path_token_hash == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert TOKEN not in repr(entry)


async def test_credentials_are_left_out_and_other_headers_kept_in_order_with_repeats(
    journal_callback: JournalCallback, journal: FakeCallbackJournal
) -> None:
    await journal_callback(CallbackKind.B2C_RESULT, TOKEN, BODY, HEADERS, None)

    assert journal.entries[0].headers == (
        ("host", "gateway.example"),
        ("content-type", "application/json"),
        ("x-forwarded-for", "196.201.214.200"),
        ("x-forwarded-for", "10.0.0.1"),
    )


async def test_a_body_that_is_not_even_text_is_kept_byte_for_byte(
    journal_callback: JournalCallback, journal: FakeCallbackJournal
) -> None:
    garbage = bytes(range(256))

    await journal_callback(CallbackKind.B2C_TIMEOUT, "not/a token \udcff", garbage, [], None)

    assert journal.entries[0].body == garbage


async def test_with_the_store_down_everything_is_logged_as_an_error_and_the_failure_raised(
    journal_callback: JournalCallback, journal: FakeCallbackJournal
) -> None:
    journal.store_goes_down()

    with capture_logs() as logs, pytest.raises(StoreUnavailableError):
        await journal_callback(CallbackKind.STK, TOKEN, BODY, HEADERS, "196.201.214.200")

    [line] = logs
    assert (line["event"], line["log_level"], line["callback"]) == ("callback_unrecorded", "error", "stk")
    assert line["body"] == BODY.decode()
    assert line["path_token_hash"] == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert ["content-type", "application/json"] in line["headers"]
    assert TOKEN not in str(logs)
    assert "stolen" not in str(logs)


async def test_a_digest_keeps_the_body_s_hash_and_size_and_nothing_of_the_body_itself(
    journal_callback: JournalCallback, journal: FakeCallbackJournal, clock: FixedClock
) -> None:
    body = b"x" * 60_000
    journal_id = journal_callback.new_id()

    stored = await journal_callback.digest(
        CallbackKind.STK, TOKEN, body, "203.0.113.9", DigestReason.SENDER_REFUSED, journal_id
    )

    [digest] = journal.digests
    assert stored
    assert journal.entries == []
    assert (digest.body_sha256, digest.body_size) == (hashlib.sha256(body).hexdigest(), 60_000)
    assert (digest.kind, digest.source, digest.reason, digest.received_at) == (
        CallbackKind.STK,
        "203.0.113.9",
        DigestReason.SENDER_REFUSED,
        clock.now(),
    )
    assert digest.path_token_hash == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert len(repr(digest)) < 400


async def test_a_sender_named_by_any_text_is_cut_to_the_length_of_an_address(
    journal_callback: JournalCallback, journal: FakeCallbackJournal
) -> None:
    await journal_callback.digest(CallbackKind.STK, TOKEN, b"{}", "a" * 10_000, DigestReason.UNKNOWN_TOKEN, "j-1")

    assert journal.digests[0].source == "a" * 64


async def test_past_the_minute_s_budget_a_digest_is_only_logged_and_the_next_minute_stores_again(
    journal: FakeCallbackJournal, clock: FixedClock
) -> None:
    journal_callback = JournalCallback(journal, clock, DigestBudget(per_minute=2))
    clock.set(clock.now().replace(second=0))

    def keep() -> Awaitable[bool]:
        return journal_callback.digest(CallbackKind.STK, TOKEN, BODY, None, DigestReason.UNKNOWN_TOKEN, "j")

    with capture_logs() as logs:
        within = [await keep(), await keep()]
        clock.advance(seconds=59)
        beyond = await keep()
        clock.advance(seconds=1)
        next_minute = await keep()

    assert (within, beyond, next_minute) == ([True, True], False, True)
    assert len(journal.digests) == 3
    [line] = logs
    assert (line["event"], line["reason"]) == ("callback_digest_unrecorded", "unknown_token")
    assert line["body_size"] == len(BODY)
    assert line["body_sha256"] == hashlib.sha256(BODY).hexdigest()


async def test_with_the_store_down_a_digest_is_logged_and_not_raised(
    journal_callback: JournalCallback, journal: FakeCallbackJournal
) -> None:
    journal.store_goes_down()

    with capture_logs() as logs:
        stored = await journal_callback.digest(CallbackKind.STK, TOKEN, BODY, None, DigestReason.UNKNOWN_TOKEN, "j")

    assert not stored
    assert [line["event"] for line in logs] == ["callback_digest_unrecorded"]
    assert "body" not in logs[0]
