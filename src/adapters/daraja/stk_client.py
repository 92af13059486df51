import httpx

from adapters.daraja.answer_fields import error_code, error_message, says_accepted
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.daraja_query import raise_if_troubled, with_retries
from adapters.daraja.json_body import json_object
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_password import daraja_timestamp, stk_password
from domain.shared.ports import Clock
from domain.stk.payment import StkPushAccepted, StkPushRequest
from domain.stk.ports import PaymentProvider
from domain.stk.query import StkQueryAnswer

STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
# Daraja's field limits (docs/daraja.md#stk-push-request): the gateway keeps the full description, Daraja gets what
# fits.
_TRANSACTION_DESC_LIMIT = 13
_ACCOUNT_REFERENCE_LIMIT = 12
# The query's "still waiting for the customer" answer shares its code with real refusals
# (docs/daraja.md#stk-push-query).
_PENDING_CODE = "500.001.1001"


class DarajaStkClient(PaymentProvider):
    """M-PESA Express (STK push and query) through one shared httpx client with Daraja token auth.

    Pushes are sent once, never repeated; queries are retried per `query_retry`. Every call goes through
    `breaker`, which should be the one breaker of the process for this Daraja base URL (own one if not given).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        auth: httpx.Auth,
        settings: DarajaSettings,
        clock: Clock,
        *,
        breaker: DarajaCircuitBreaker | None = None,
        query_retry: RetryPolicy | None = None,
        metrics: DarajaCallMetrics | None = None,
    ) -> None:
        self._http, self._auth, self._settings, self._clock = http, auth, settings, clock
        self._breaker = breaker if breaker is not None else DarajaCircuitBreaker()
        self._query_retry = query_retry if query_retry is not None else RetryPolicy()
        self._metrics = metrics

    async def start_stk_push(self, request: StkPushRequest) -> StkPushAccepted:
        body = {
            **self._credentials(),
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
        if response.status_code == 200 and says_accepted(answer) and answer.get("CheckoutRequestID"):
            return StkPushAccepted(
                merchant_request=str(answer.get("MerchantRequestID", "")), checkout=str(answer["CheckoutRequestID"])
            )
        raise refusal_error(response, answer)

    async def query_stk(self, checkout: str) -> StkQueryAnswer:
        async def attempt() -> StkQueryAnswer:
            # A fresh timestamp and password per attempt, as Daraja expects of each request
            # (docs/daraja.md#stk-push-query).
            response = await self._post(STK_QUERY_PATH, {**self._credentials(), "CheckoutRequestID": checkout})
            return _query_answer(response, json_object(response), checkout)

        return await with_retries(attempt, self._query_retry, STK_QUERY_PATH)

    def _credentials(self) -> dict[str, str]:
        timestamp = daraja_timestamp(self._clock.now())
        return {
            "BusinessShortCode": self._settings.shortcode,
            "Password": stk_password(self._settings.shortcode, self._settings.passkey, timestamp),
            "Timestamp": timestamp,
        }

    async def _post(self, path: str, body: dict[str, object]) -> httpx.Response:
        return await post_to_daraja(
            self._http, self._auth, self._settings.base_url, path, body, self._breaker, self._metrics
        )


def _query_answer(response: httpx.Response, answer: dict[str, object], checkout: str) -> StkQueryAnswer:
    message = error_message(answer)
    if error_code(answer) == _PENDING_CODE and isinstance(message, str) and "being processed" in message.lower():
        return StkQueryAnswer.pending_for(checkout)
    result_code = answer.get("ResultCode")
    if response.status_code == 200 and says_accepted(answer) and result_code not in (None, ""):
        merchant_request = answer.get("MerchantRequestID")
        return StkQueryAnswer(
            checkout=str(answer.get("CheckoutRequestID") or checkout),
            merchant_request=str(merchant_request) if merchant_request else None,
            result_code=str(result_code),  # a string in query answers, but normalised whatever comes
            result_desc=str(answer.get("ResultDesc", "")),
        )
    raise_if_troubled(response, answer)
    raise refusal_error(response, answer)
