"""Repeating what is harmless to repeat (queries): capped exponential back-off with jitter, bounded attempts."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import structlog

from adapters.daraja.circuit_breaker import CircuitOpenError
from adapters.daraja.daraja_post import is_troubled
from adapters.daraja.retry_policy import RetryPolicy
from domain.shared.errors import ProviderUnavailableError

logger = structlog.get_logger()

T = TypeVar("T")


class TroubledAnswerError(ProviderUnavailableError):
    """Daraja answered a query with a 429, a 5xx that is not a definite answer, or a body that is not JSON."""


def raise_if_troubled(response: httpx.Response, answer: dict[str, object]) -> None:
    if is_troubled(response, answer):
        raise TroubledAnswerError(f"Daraja could not answer the query (HTTP {response.status_code})")


async def with_retries(attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, path: str) -> T:
    """`attempt`'s result, trying again after ProviderUnavailableError (unreachable, time-out, lost or troubled
    answer) up to `policy.attempts` times; the last error is raised. An open circuit is not retried: it will not
    close within a back-off, and waiting would only pile callers up."""
    for number in range(1, policy.attempts + 1):
        try:
            return await attempt()
        except CircuitOpenError:
            raise
        except ProviderUnavailableError as fault:
            if number == policy.attempts:
                raise
            delay = policy.delay_before_retry(number)
            logger.info(
                "daraja_query_retry",
                path=path,
                attempt=number,
                error=type(fault).__name__,
                delay_ms=round(delay * 1000),
            )
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
