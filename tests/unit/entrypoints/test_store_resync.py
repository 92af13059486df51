"""After a Redis outage every open socket reads its catch-up again, a few at a time, each once per pass."""

import asyncio
from collections.abc import Callable

from entrypoints.ws.store_resync import StoreResync


class Socket:
    """Counts its catch-ups, and how many sockets read at once."""

    reading = most_reading = 0

    def __init__(self, name: str, fails: bool = False, meanwhile: Callable[[], None] | None = None) -> None:
        self.name, self.fails, self.meanwhile = name, fails, meanwhile
        self.caught_up = 0

    async def catch_up_again(self) -> None:
        Socket.reading += 1
        Socket.most_reading = max(Socket.most_reading, Socket.reading)
        if self.meanwhile is not None and not self.caught_up:
            self.meanwhile()
        await asyncio.sleep(0)
        Socket.reading -= 1
        if self.fails:
            raise RuntimeError("store read failed")
        self.caught_up += 1


async def test_every_open_socket_catches_up_once_a_few_at_a_time() -> None:
    resync = StoreResync(concurrent_reads=2)
    sockets = {name: Socket(name, fails=name == "b") for name in "abcde"}
    for socket in sockets.values():
        resync.register(socket)
    resync.unregister(sockets["c"])
    Socket.most_reading = 0

    resync.catch_up_all()
    await resync.wait()

    # b's failure stopped nobody else's; c had closed.
    assert {name: socket.caught_up for name, socket in sockets.items()} == {"a": 1, "b": 0, "c": 0, "d": 1, "e": 1}
    assert Socket.most_reading == 2


async def test_a_recovery_during_a_pass_gets_a_pass_of_its_own() -> None:
    resync = StoreResync()

    def recovered_again() -> None:  # Redis went and came back while this pass reads
        resync.catch_up_all()
        resync.catch_up_all()

    socket = Socket("a", meanwhile=recovered_again)
    resync.register(socket)
    resync.catch_up_all()
    await resync.wait()

    assert socket.caught_up == 2


def test_without_an_event_loop_it_starts_nothing_and_raises_nothing() -> None:
    resync = StoreResync()
    socket = Socket("a")
    resync.register(socket)

    resync.catch_up_all()

    asyncio.run(asyncio.wait_for(resync.wait(), 1))
    assert socket.caught_up == 0
