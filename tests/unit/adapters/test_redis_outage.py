from adapters.redis.outage import RedisOutage


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_wait_between_attempts_doubles_up_to_its_bound_and_ends_with_recovery() -> None:
    clock = Ticks()
    outage = RedisOutage(first_retry_seconds=0.5, max_retry_seconds=3.0, clock=clock)

    delays = [outage.failed(ConnectionError("refused")) for _ in range(5)]
    waiting = outage.should_try()
    clock.now += 3.0
    due = outage.should_try()
    outage.recovered()

    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert (waiting, due) == (False, True)
    assert not outage.down
    assert outage.failed(ConnectionError("refused")) == 0.5


def test_its_listener_hears_each_recovery_once_and_only_after_an_outage() -> None:
    recoveries: list[bool] = []
    outage = RedisOutage(on_recovery=lambda: recoveries.append(outage.down))

    outage.recovered()
    outage.failed(ConnectionError("refused"))
    outage.failed(ConnectionError("refused"))
    outage.recovered()
    outage.recovered()

    assert recoveries == [False]  # once, and told after the outage is over


def test_a_failing_listener_does_not_fail_the_call_that_noticed_the_recovery() -> None:
    def broken() -> None:
        raise RuntimeError("listener bug")

    outage = RedisOutage(on_recovery=broken)
    outage.failed(ConnectionError("refused"))

    outage.recovered()

    assert not outage.down
