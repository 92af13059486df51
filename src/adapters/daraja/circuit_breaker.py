"""One circuit breaker for every Daraja call a process makes: when Daraja is in trouble, fail at once.

closed → (N consecutive troubled calls) → open → (cool-down) → half-open: one trial call goes through →
closed if Daraja answered it, open again (a fresh cool-down) if not. While open, and while the trial is out,
calls are refused with CircuitOpenError before anything is sent, so they pile up nowhere.

Written here rather than taken from a library: the verdict comes from Daraja's answers (429, 5xx), not only
from exceptions, the clock must be injectable for tests, and half-open must admit exactly one trial call.
"""

import time
from collections.abc import Callable
from enum import StrEnum

import structlog

from domain.shared.errors import ProviderUnreachableError

logger = structlog.get_logger()


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(ProviderUnreachableError):
    """Refused by the breaker: nothing was sent to Daraja, so the request is safely failed (PROVIDER_UNAVAILABLE)."""


class DarajaCircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        reset_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        name: str = "daraja",
    ) -> None:
        if failure_threshold < 1 or reset_seconds < 0:
            raise ValueError("the breaker needs a failure threshold of at least 1 and a non-negative cool-down")
        self._threshold, self._reset_seconds, self._clock, self._name = failure_threshold, reset_seconds, clock, name
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_out = False

    @property
    def state(self) -> CircuitState:
        return self._state

    def admit(self) -> None:
        """Lets a call through, or raises CircuitOpenError; every admitted call must end in exactly one of
        succeeded(), failed() or abandoned()."""
        if self._state is CircuitState.OPEN and self._clock() - self._opened_at >= self._reset_seconds:
            self._state, self._trial_out = CircuitState.HALF_OPEN, False
            logger.info("daraja_circuit_half_open", circuit=self._name)
        if self._state is CircuitState.CLOSED:
            return
        if self._state is CircuitState.HALF_OPEN and not self._trial_out:
            self._trial_out = True
            return
        raise CircuitOpenError(f"Daraja is failing: the circuit is {self._state.value}, nothing was sent")

    def succeeded(self) -> None:
        """Daraja answered (even with a refusal): it is working."""
        self._failures, self._trial_out = 0, False
        if self._state is not CircuitState.CLOSED:
            self._state = CircuitState.CLOSED
            logger.info("daraja_circuit_closed", circuit=self._name)

    def failed(self) -> None:
        """Daraja was unreachable, timed out, throttled or answered 5xx."""
        self._failures += 1
        if self._state is CircuitState.HALF_OPEN or (
            self._state is CircuitState.CLOSED and self._failures >= self._threshold
        ):
            self._open()

    def abandoned(self) -> None:
        """The call ended without a verdict (cancelled): a trial call's slot is given back."""
        self._trial_out = False

    def _open(self) -> None:
        self._state, self._opened_at, self._trial_out = CircuitState.OPEN, self._clock(), False
        logger.warning(
            "daraja_circuit_opened", circuit=self._name, failures=self._failures, reset_seconds=self._reset_seconds
        )
