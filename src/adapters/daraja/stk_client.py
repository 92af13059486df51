import time
from typing import Any

import httpx
import structlog

from adapters.daraja.json_body import json_object
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_password import daraja_timestamp, stk_password
from domain.errors import ProviderOutcomeUnknownError, ProviderRejectedError, ProviderUnreachableError
from domain.payment import StkPushAccepted, StkPushRequest
from domain.ports import Clock, PaymentProvider

logger = structlog.get_logger()

STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
# Daraja's field limits (DARAJA.md §2.1): the gateway keeps the full description, Daraja gets what fits.
_TRANSACTION_DESC_LIMIT = 13
_ACCOUNT_REFERENCE_LIMIT = 12
# Codes with which Daraja says plainly that it did not start the push, even on an HTTP 500 (DARAJA.md §2.2).
_DEFINITE_REFUSALS_ON_500 = frozenset({"500.001.1001", "500.003.02", "500.003.03"})


class DarajaStkClient(PaymentProvider):
    """M-PESA Express (STK push) through one shared httpx client with Daraja token auth."""

    def __init__(self, http: httpx.AsyncClient, auth: httpx.Auth, settings: DarajaSettings, clock: Clock) -> None:
        self._http, self._auth, self._settings, self._clock = http, auth, settings, clock

    async def start_stk_push(self, request: StkPushRequest) -> StkPushAccepted:
        timestamp = daraja_timestamp(self._clock.now())
        body = {
            "BusinessShortCode": self._settings.shortcode,
            "Password": stk_password(self._settings.shortcode, self._settings.passkey, timestamp),
            "Timestamp": timestamp,
            "TransactionType": self._settings.transaction_type,
            "Amount": request.amount.shillings,
            "PartyA": request.phone.msisdn,
            "PartyB": self._settings.party_b or self._settings.shortcode,
            "PhoneNumber": request.phone.msisdn,
            "CallBackURL": f"{self._settings.callback_base_url.rstrip('/')}/{request.callback_token}",
            "AccountReference": request.account_reference[:_ACCOUNT_REFERENCE_LIMIT],
            "TransactionDesc": request.description.text[:_TRANSACTION_DESC_LIMIT].strip(),
        }
        response = await self._post(STK_PUSH_PATH, body)
        answer = json_object(response)
        if response.status_code == 200 and answer.get("ResponseCode") == "0" and answer.get("CheckoutRequestID"):
            return StkPushAccepted(
                merchant_request=str(answer.get("MerchantRequestID", "")), checkout=str(answer["CheckoutRequestID"])
            )
        raise _classify_refusal(response, answer)

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        started = time.perf_counter()
        outcome = "answered"
        try:
            return await self._http.post(f"{self._settings.base_url.rstrip('/')}{path}", json=body, auth=self._auth)
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


def _classify_refusal(response: httpx.Response, answer: dict[str, object]) -> Exception:
    code, message = answer.get("errorCode"), answer.get("errorMessage")
    if response.status_code < 500 and isinstance(code, str):
        return ProviderRejectedError(code, str(message or "Daraja refused the request"))
    if response.status_code == 200 and "ResponseCode" in answer:
        return ProviderRejectedError(str(answer["ResponseCode"]), str(answer.get("ResponseDescription", "")))
    if code in _DEFINITE_REFUSALS_ON_500 and isinstance(message, str) and "being processed" not in message:
        return ProviderRejectedError(str(code), message)
    return ProviderOutcomeUnknownError(f"Daraja answered HTTP {response.status_code} without a usable body")
