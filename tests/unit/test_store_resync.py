"""After a Redis outage every open socket reads its catch-up again, a few at a time, each once per pass."""

import asyncio
from collections.abc import Awaitable, Callable

from entrypoints.ws.store_resync import StoreResync


class CatchUps:
    def __init__(self) -> None:
        self.done: list[str] = []
        self.at_once = self.most_at_once = 0

    def of(self, socket: str, fails: bool = False) -> Callable[[], Awaitable[None]]:
        async def catch_up() -> None:
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
            await asyncio.sleep(0)
            self.at_once -= 1
            if fails:
                raise RuntimeError("store read failed")
            self.done.append(socket)

        return catch_up


async def test_every_open_socket_catches_up_once_a_few_at_a_time() -> None:
    resync, catch_ups = StoreResync(concurrent_reads=2), CatchUps()
    for socket in ("a", "b", "c", "d", "e"):
        resync.register(socket, catch_ups.of(socket, fails=socket == "b"))
    resync.unregister("c")

    resync.catch_up_all()
    await resync.wait()

    assert sorted(catch_ups.done) == ["a", "d", "e"]  # b's failure stopped nobody else's
    assert catch_ups.most_at_once == 2


async def test_a_recovery_during_a_pass_gets_a_pass_of_its_own() -> None:
    resync, catch_ups = StoreResync(), CatchUps()
    first = catch_ups.of("a")

    async def recovering_again() -> None:
        if not catch_ups.done:
            resync.catch_up_all()  # Redis went and came back while this pass reads
            resync.catch_up_all()
        await first()

    resync.register("a", recovering_again)
    resync.catch_up_all()
    await resync.wait()

    assert catch_ups.done == ["a", "a"]


def test_without_an_event_loop_it_starts_nothing_and_raises_nothing() -> None:
    resync = StoreResync()
    resync.register("a", CatchUps().of("a"))

    resync.catch_up_all()

    asyncio.run(asyncio.wait_for(resync.wait(), 1))
