"""One POST to Daraja through the process's circuit breaker, timed and logged, with transport faults and refusals
in the domain's words."""

import time
from typing import Any

import httpx
import structlog

from adapters.daraja.answer_fields import ResponseCodeReading, error_code, error_message, read_response_code
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.circuit_breaker import CircuitOpenError, DarajaCircuitBreaker
from adapters.daraja.json_body import json_object
from domain.shared.errors import (
    ProviderOutcomeUnknownError,
    ProviderRejectedError,
    ProviderUnavailableError,
    ProviderUnreachableError,
)

logger = structlog.get_logger()

# Codes with which Daraja says plainly that it did not start the transaction, even on an HTTP 500
# (docs/daraja.md#stk-push-answer,
# #error-answers). 500.001.1001 is overloaded: "The transaction is being processed" means the opposite, so the message
# decides.
DEFINITE_REFUSALS_ON_500 = frozenset({"500.001.1001", "500.003.02", "500.003.03"})
# On an HTTP 500 these are answers from a working Daraja (wrong credentials, subscriber locked, query pending,
# duplicate OriginatorConversationID); everything else there, throttling included, says Daraja is in trouble.
_HEALTHY_ON_500 = "500.001.1001"
_DUPLICATE_ON_500 = "500.002.1001"


async def post_to_daraja(
    http: httpx.AsyncClient,
    auth: httpx.Auth,
    base_url: str,
    path: str,
    body: dict[str, Any],
    breaker: DarajaCircuitBreaker,
    metrics: DarajaCallMetrics | None = None,
) -> httpx.Response:
    """Daraja's answer, whatever its status, sent once (never repeated here).

    Raises CircuitOpenError (a ProviderUnreachableError) at once while the breaker is open, ProviderUnreachableError
    when the request surely never arrived and ProviderOutcomeUnknownError when it may have arrived but the answer
    was lost. Every outcome is reported to the breaker (and to `metrics`). The body is never logged."""
    started = time.perf_counter()
    outcome, status = "answered", None
    try:
        breaker.admit()
        response = await http.post(f"{base_url.rstrip('/')}{path}", json=body, auth=auth)
        status = response.status_code
    except CircuitOpenError:
        outcome = "circuit_open"
        raise
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as fault:
        outcome = "unreachable"
        breaker.failed()
        raise ProviderUnreachableError(f"Daraja could not be reached ({type(fault).__name__})") from fault
    except httpx.HTTPError as fault:
        outcome = "unknown"
        breaker.failed()
        raise ProviderOutcomeUnknownError(f"Daraja's answer was lost ({type(fault).__name__})") from fault
    except ProviderUnavailableError:
        outcome = "no_token"  # the OAuth call failed inside the auth flow: the business request never went out
        breaker.failed()
        raise
    except ProviderRejectedError:
        outcome = "token_refused"  # Daraja answered the OAuth call: it is working
        breaker.succeeded()
        raise
    except BaseException:
        outcome = "abandoned"
        breaker.abandoned()
        raise
    finally:
        elapsed = time.perf_counter() - started
        logger.info("daraja_call", path=path, outcome=outcome, status=status, duration_ms=round(elapsed * 1000, 1))
        if metrics is not None:
            metrics.observe(path, outcome, status, elapsed)
    if is_troubled(response, json_object(response)):
        breaker.failed()
    else:
        breaker.succeeded()
    return response


def is_troubled(response: httpx.Response, answer: dict[str, object]) -> bool:
    """Daraja (or what stands in front of it) is failing: throttled (429), a 5xx that is not one of Daraja's
    definite answers, or a success whose body is not a JSON object. Such answers count against the breaker and
    are what a harmless query retries."""
    status = response.status_code
    if status == 429:
        return True
    if status >= 500:
        code, message = error_code(answer), error_message(answer)
        if code == _HEALTHY_ON_500:
            return False
        return not (code == _DUPLICATE_ON_500 and isinstance(message, str) and "duplicate" in message.lower())
    return 200 <= status < 300 and not answer


def refusal_error(response: httpx.Response, answer: dict[str, object]) -> Exception:
    """The domain error for an answer that is not an acceptance: a refusal only when Daraja said so plainly."""
    code, message = error_code(answer), error_message(answer)
    if response.status_code == 429:
        # Throttled in front of Daraja: the request was turned away before anything started.
        return ProviderUnreachableError("Daraja is throttling requests (HTTP 429); nothing was started")
    if response.status_code < 500 and isinstance(code, str):
        return ProviderRejectedError(code, str(message or "Daraja refused the request"))
    if response.status_code == 200 and "ResponseCode" in answer:
        reading = read_response_code(answer["ResponseCode"])
        if reading is ResponseCodeReading.REFUSED:
            return ProviderRejectedError(str(answer["ResponseCode"]), str(answer.get("ResponseDescription", "")))
        # Accepted but missing what the caller needs, or a code that is no form of refusal seen: the request may
        # have been started, so only Daraja's later word (callback, query) can settle it.
        return ProviderOutcomeUnknownError(f"Daraja answered ResponseCode {answer['ResponseCode']!r} ({reading.value})")
    if code in DEFINITE_REFUSALS_ON_500 and isinstance(message, str) and "being processed" not in message:
        return ProviderRejectedError(str(code), message)
    return ProviderOutcomeUnknownError(f"Daraja answered HTTP {response.status_code} without a usable body")
