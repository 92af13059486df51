"""A socket's catch-up: updates, then `caught_up` to a client that resumes by cursor (or to any client whose
catch-up was cut short); read again after a Redis outage from where the last one ended."""

import json
from typing import Any, cast

from litestar import WebSocket

from domain.shared.resume_cursor import CaughtUp, ResumeCursor, SendUpdate
from entrypoints.ws.session import ClientSocket

TOPIC = "/mpesa/user123"


class RecordingConnection:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send_text(self, frame: bytes) -> None:
        self.frames.append(json.loads(frame))


class StoreOfChanges:
    """A catch-up over a fixed list of (cursor, view); remembers the cursors it was asked to resume after."""

    def __init__(self, changes: list[tuple[ResumeCursor, dict[str, Any]]], complete: bool = True) -> None:
        self.changes, self.complete = changes, complete
        self.asked_after: list[ResumeCursor | None] = []

    async def __call__(self, send: SendUpdate, cursor: ResumeCursor | None) -> CaughtUp:
        self.asked_after.append(cursor)
        after = cursor or ResumeCursor(0)
        sent = [(place, view) for place, view in self.changes if place > after]
        for _, view in sent:
            await send(view)
        return CaughtUp(sent[-1][0] if sent else after, len(sent), self.complete)


def socket_with(missed: StoreOfChanges, tells_cursor: bool) -> tuple[ClientSocket, RecordingConnection]:
    peer = RecordingConnection()
    socket = ClientSocket(cast("WebSocket[Any, Any, Any]", peer))
    socket.catch_up_on(TOPIC, missed, tells_cursor)
    return socket, peer


def change(ms: int, record: str, version: int) -> tuple[ResumeCursor, dict[str, Any]]:
    return ResumeCursor(ms, record), {"id": record, "version": version}


async def test_a_client_resuming_by_cursor_gets_its_updates_then_where_to_resume() -> None:
    socket, peer = socket_with(StoreOfChanges([change(1, "a", 1), change(2, "b", 3)]), tells_cursor=True)

    await socket.catch_up()

    assert [frame["kind"] for frame in peer.frames] == ["update", "update", "caught_up"]
    assert peer.frames[-1] == {
        "kind": "caught_up",
        "topic": TOPIC,
        "data": {"cursor": ResumeCursor(2, "b").encode(), "updates": 2, "complete": True},
    }


async def test_after_a_redis_outage_the_store_is_read_again_from_the_last_cursor() -> None:
    missed = StoreOfChanges([change(1, "a", 1)])
    socket, peer = socket_with(missed, tells_cursor=True)
    await socket.catch_up()
    missed.changes.append(change(5, "b", 2))  # relayed through Redis while it was away, and lost

    await socket.catch_up_again()

    assert missed.asked_after == [None, ResumeCursor(1, "a")]
    assert [frame["data"]["id"] for frame in peer.frames if frame["kind"] == "update"] == ["a", "b"]
    assert peer.frames[-1]["data"]["cursor"] == ResumeCursor(5, "b").encode()


async def test_a_client_without_a_cursor_is_sent_no_caught_up_unless_its_catch_up_was_cut_short() -> None:
    quiet, quiet_peer = socket_with(StoreOfChanges([change(1, "a", 1)]), tells_cursor=False)
    cut, cut_peer = socket_with(StoreOfChanges([change(1, "a", 1)], complete=False), tells_cursor=False)

    await quiet.catch_up()
    await cut.catch_up()

    assert [frame["kind"] for frame in quiet_peer.frames] == ["update"]
    assert [frame["kind"] for frame in cut_peer.frames] == ["update", "caught_up"]
    assert cut_peer.frames[-1]["data"]["complete"] is False
