"""A socket is never sent a state of a record older than (or the same as) one it was already sent."""

import msgspec

from entrypoints.protocol import asyncapi
from entrypoints.ws.sent_versions import REMEMBERED_RECORDS, SentVersions

_encode = msgspec.json.Encoder().encode


def update(record_id: str, version: int, status: str = "pending") -> bytes:
    data = {"id": record_id, "status": status, "version": version}
    return _encode({"kind": "update", "topic": "/mpesa/shop", "data": data})


def test_a_state_older_than_one_sent_is_dropped_and_a_newer_one_sent() -> None:
    sent = SentVersions()

    admitted = [
        sent.admit(update("pay1", 1, "pending")),
        sent.admit(update("pay1", 2, "success")),
        sent.admit(update("pay1", 1, "pending")),  # relayed late, after a Redis outage
        sent.admit(update("pay1", 3, "success")),
    ]

    assert admitted == [True, True, False, True]


def test_the_same_state_twice_is_sent_once() -> None:
    sent = SentVersions()

    assert [sent.admit(update("pay1", 2)), sent.admit(update("pay1", 2))] == [True, False]


def test_each_record_is_ordered_on_its_own() -> None:
    sent = SentVersions()
    sent.admit(update("pay1", 5))

    assert sent.admit(update("pay2", 1))
    assert not sent.admit(update("pay1", 4))


def test_only_the_most_recently_updated_records_are_remembered() -> None:
    sent = SentVersions(limit=2)
    for record_id in ("pay1", "pay2"):
        sent.admit(update(record_id, 5))
    sent.admit(update("pay1", 6))  # pay1 is now the more recently updated
    sent.admit(update("pay3", 5))  # forgets pay2

    assert not sent.admit(update("pay1", 6))
    assert not sent.admit(update("pay3", 5))
    assert sent.admit(update("pay2", 1))


def test_a_frame_that_names_no_version_is_sent() -> None:
    sent = SentVersions()
    sent.admit(update("pay1", 3))
    unversioned = _encode({"kind": "update", "topic": "/mpesa/shop", "data": {"id": "pay1", "status": "pending"}})

    assert [sent.admit(unversioned), sent.admit(unversioned), sent.admit(b"not json")] == [True, True, True]


def test_the_protocol_description_says_how_many_records_a_socket_remembers() -> None:
    for update_message in (asyncapi.PaymentUpdate, asyncapi.WithdrawalUpdate):
        described = " ".join(str(update_message.__doc__).split())
        assert f"socket's {REMEMBERED_RECORDS} most recently updated records" in described
