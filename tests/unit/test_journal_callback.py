"""Every callback is journaled as it arrived, with its URL's token hashed and credentials left out."""

import hashlib

import pytest
from structlog.testing import capture_logs

from domain.errors import StoreUnavailableError
from domain.received_callback import CallbackKind
from domain.use_cases.journal_callback import JournalCallback
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
