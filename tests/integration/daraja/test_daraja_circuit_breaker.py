"""The Daraja circuit breaker's state machine and the retry back-off, on an injected clock: no network."""

import pytest
from structlog.testing import capture_logs

from adapters.daraja.circuit_breaker import CircuitOpenError, CircuitState, DarajaCircuitBreaker
from adapters.daraja.retry_policy import RetryPolicy
from domain.shared.errors import ProviderUnreachableError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: FakeClock, failures: int = 3, reset_seconds: float = 30.0) -> DarajaCircuitBreaker:
    return DarajaCircuitBreaker(failure_threshold=failures, reset_seconds=reset_seconds, clock=clock)


def fail(circuit: DarajaCircuitBreaker, times: int) -> None:
    for _ in range(times):
        circuit.admit()
        circuit.failed()


def test_the_circuit_opens_after_the_threshold_of_consecutive_failures() -> None:
    circuit = breaker(FakeClock())

    fail(circuit, 2)
    assert circuit.state is CircuitState.CLOSED
    fail(circuit, 1)

    assert circuit.state is CircuitState.OPEN


def test_a_success_in_between_starts_the_count_again() -> None:
    circuit = breaker(FakeClock())

    fail(circuit, 2)
    circuit.admit()
    circuit.succeeded()
    fail(circuit, 2)

    assert circuit.state is CircuitState.CLOSED


def test_an_open_circuit_refuses_at_once_as_unreachable_until_the_cool_down_ends() -> None:
    clock = FakeClock()
    circuit = breaker(clock)
    fail(circuit, 3)

    clock.now += 29.9
    with pytest.raises(CircuitOpenError) as refused:
        circuit.admit()

    assert isinstance(refused.value, ProviderUnreachableError)  # nothing sent: PROVIDER_UNAVAILABLE, safe to fail


def test_after_the_cool_down_exactly_one_trial_call_goes_through() -> None:
    clock = FakeClock()
    circuit = breaker(clock)
    fail(circuit, 3)
    clock.now += 30

    circuit.admit()

    assert circuit.state is CircuitState.HALF_OPEN
    with pytest.raises(CircuitOpenError):
        circuit.admit()


def test_a_successful_trial_closes_the_circuit() -> None:
    clock = FakeClock()
    circuit = breaker(clock)
    fail(circuit, 3)
    clock.now += 30

    circuit.admit()
    circuit.succeeded()

    assert circuit.state is CircuitState.CLOSED
    circuit.admit()  # no longer refused
    fail(circuit, 2)
    assert circuit.state is CircuitState.CLOSED  # and the failure count started again


def test_a_failed_trial_opens_the_circuit_for_a_fresh_cool_down() -> None:
    clock = FakeClock()
    circuit = breaker(clock)
    fail(circuit, 3)
    clock.now += 30

    fail(circuit, 1)
    clock.now += 29

    assert circuit.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError):
        circuit.admit()
    clock.now += 1
    circuit.admit()
    assert circuit.state is CircuitState.HALF_OPEN


def test_an_abandoned_trial_lets_the_next_call_try() -> None:
    clock = FakeClock()
    circuit = breaker(clock)
    fail(circuit, 3)
    clock.now += 30
    circuit.admit()

    circuit.abandoned()

    circuit.admit()
    assert circuit.state is CircuitState.HALF_OPEN


def test_state_changes_are_logged() -> None:
    clock = FakeClock()
    circuit = breaker(clock, failures=1)

    with capture_logs() as logs:
        fail(circuit, 1)
        clock.now += 30
        circuit.admit()
        circuit.succeeded()

    assert [entry["event"] for entry in logs] == [
        "daraja_circuit_opened",
        "daraja_circuit_half_open",
        "daraja_circuit_closed",
    ]


@pytest.mark.parametrize(("failures", "reset_seconds"), [(0, 30.0), (5, -1.0)])
def test_a_breaker_that_could_never_work_is_refused(failures: int, reset_seconds: float) -> None:
    with pytest.raises(ValueError):
        DarajaCircuitBreaker(failure_threshold=failures, reset_seconds=reset_seconds)


def test_back_off_grows_exponentially_with_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(attempts=6, first_delay=0.1, max_delay=0.5)

    delays = [[policy.delay_before_retry(retry) for _ in range(200)] for retry in range(1, 6)]

    for retry, samples in enumerate(delays, start=1):
        step = min(0.5, 0.1 * 2 ** (retry - 1))
        assert all(step / 2 <= delay <= step for delay in samples)
        assert len(set(samples)) > 1  # jittered, so gateways retrying together do not march in step


@pytest.mark.parametrize("arguments", [{"attempts": 0}, {"first_delay": -0.1}, {"first_delay": 1.0, "max_delay": 0.5}])
def test_a_retry_policy_that_makes_no_sense_is_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**arguments)  # type: ignore[arg-type]
