"""The idle sweep: a socket whose client stays silent for the idle time-out is closed with 1000 "idle timeout",
one that keeps talking is not, and the sweep stops ticking once it watches nothing."""

import asyncio

from entrypoints.ws.idle_sweep import IdleSweep

IDLE_TIMEOUT = 0.4  # swept every 0.1 s


class Peer:
    def __init__(self) -> None:
        self.heard_at = asyncio.get_running_loop().time()
        self.closed: list[tuple[int, str]] = []
        self.closed_at: float | None = None

    async def close(self, code: int, reason: str) -> None:
        self.closed.append((code, reason))
        self.closed_at = asyncio.get_running_loop().time()


async def test_a_silent_socket_is_closed_after_the_idle_timeout_and_a_talking_one_is_not() -> None:
    sweep = IdleSweep(IDLE_TIMEOUT)
    silent, talking = Peer(), Peer()
    opened_at = silent.heard_at
    sweep.watch(silent)
    sweep.watch(talking)
    loop = asyncio.get_running_loop()
    for _ in range(16):  # 0.8 s of frames from one of them, every 0.05 s
        await asyncio.sleep(0.05)
        talking.heard_at = loop.time()

    assert silent.closed == [(1000, "idle timeout")]
    assert silent.closed_at is not None
    assert IDLE_TIMEOUT <= silent.closed_at - opened_at <= IDLE_TIMEOUT + sweep.period + 0.2
    assert talking.closed == []


async def test_a_forgotten_socket_is_not_closed_and_the_sweep_stops_with_nothing_to_watch() -> None:
    sweep = IdleSweep(IDLE_TIMEOUT)
    left = Peer()
    sweep.watch(left)
    sweep.forget(left)
    await asyncio.sleep(IDLE_TIMEOUT + 2 * sweep.period)

    assert left.closed == []
    assert not sweep.ticking


def test_the_sweep_ticks_at_most_every_four_seconds() -> None:
    assert IdleSweep(960).period == 4.0
    assert IdleSweep(3).period == 0.75
