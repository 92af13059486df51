"""One POST to Daraja, timed and logged, with transport faults and refusals in the domain's words."""

import time
from typing import Any

import httpx
import structlog

from domain.errors import ProviderOutcomeUnknownError, ProviderRejectedError, ProviderUnreachableError

logger = structlog.get_logger()

# Codes with which Daraja says plainly that it did not start the transaction, even on an HTTP 500 (DARAJA.md §2.2,
# §7). 500.001.1001 is overloaded: "The transaction is being processed" means the opposite, so the message decides.
DEFINITE_REFUSALS_ON_500 = frozenset({"500.001.1001", "500.003.02", "500.003.03"})


async def post_to_daraja(
    http: httpx.AsyncClient, auth: httpx.Auth, base_url: str, path: str, body: dict[str, Any]
) -> httpx.Response:
    """Daraja's answer, whatever its status; ProviderUnreachableError when the request surely never arrived and
    ProviderOutcomeUnknownError when it may have arrived but the answer was lost. The body is never logged."""
    started = time.perf_counter()
    outcome = "answered"
    try:
        return await http.post(f"{base_url.rstrip('/')}{path}", json=body, auth=auth)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as fault:
        outcome = "unreachable"
        raise ProviderUnreachableError(f"Daraja could not be reached ({type(fault).__name__})") from fault
    except httpx.HTTPError as fault:
        outcome = "unknown"
        raise ProviderOutcomeUnknownError(f"Daraja's answer was lost ({type(fault).__name__})") from fault
    finally:
        logger.info(
            "daraja_call", path=path, outcome=outcome, duration_ms=round((time.perf_counter() - started) * 1000, 1)
        )


def refusal_error(response: httpx.Response, answer: dict[str, object]) -> Exception:
    """The domain error for an answer that is not an acceptance: a refusal only when Daraja said so plainly."""
    code, message = answer.get("errorCode"), answer.get("errorMessage")
    if response.status_code < 500 and isinstance(code, str):
        return ProviderRejectedError(code, str(message or "Daraja refused the request"))
    if response.status_code == 200 and "ResponseCode" in answer:
        return ProviderRejectedError(str(answer["ResponseCode"]), str(answer.get("ResponseDescription", "")))
    if code in DEFINITE_REFUSALS_ON_500 and isinstance(message, str) and "being processed" not in message:
        return ProviderRejectedError(str(code), message)
    return ProviderOutcomeUnknownError(f"Daraja answered HTTP {response.status_code} without a usable body")
