from datetime import timedelta

import pytest

from adapters.system.memory_rate_limiter import MemoryRateLimiter
from domain.shared.errors import RateLimitedError
from entrypoints.ws.socket_guard import SocketGuard
from tests.unit.fakes import FixedClock


def guard(clock: FixedClock | None = None, **limits: int) -> SocketGuard:
    settings = {
        "max_sockets": 100,
        "max_per_topic": 100,
        "max_per_address": 100,
        "messages_per_topic": 100,
        "messages_per_address": 100,
        **limits,
    }
    return SocketGuard(**settings, window_seconds=60.0, counter=MemoryRateLimiter(), clock=clock or FixedClock())


@pytest.mark.parametrize(
    ("limits", "second"),
    [
        ({"max_sockets": 1}, ("h2", "10.0.0.2")),
        ({"max_per_topic": 1}, ("h1", "10.0.0.2")),
        ({"max_per_address": 1}, ("h2", "10.0.0.1")),
    ],
)
def test_a_socket_past_a_cap_is_refused_until_one_closes(limits: dict[str, int], second: tuple[str, str]) -> None:
    sockets = guard(**limits)
    sockets.open("h1", "10.0.0.1")

    with pytest.raises(RateLimitedError):
        sockets.open(*second)
    sockets.close("h1", "10.0.0.1")

    sockets.open(*second)


async def test_messages_past_the_topic_limit_are_refused_until_the_window_ends() -> None:
    clock = FixedClock()
    clock.set(clock.now().replace(second=40))
    messages = guard(clock, messages_per_topic=2)
    await messages.message("h1", "10.0.0.1")
    await messages.message("h1", "10.0.0.2")

    with pytest.raises(RateLimitedError) as refused:
        await messages.message("h1", "10.0.0.3")
    await messages.message("h2", "10.0.0.3")
    clock.set(clock.now() + timedelta(seconds=20))
    await messages.message("h1", "10.0.0.1")

    assert refused.value.retry_after == 20


async def test_messages_past_the_address_limit_are_refused_whatever_the_topic() -> None:
    messages = guard(messages_per_address=1)
    await messages.message("h1", "10.0.0.1")

    with pytest.raises(RateLimitedError):
        await messages.message("h2", "10.0.0.1")
