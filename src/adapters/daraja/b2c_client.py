import httpx

from adapters.daraja.answer_fields import error_code, error_message, says_accepted
from adapters.daraja.b2c_settings import B2cSettings
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.callback_url import callback_url
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.json_body import json_object
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.transaction_status import StatusAsker, ask_transaction_status
from domain.b2c.ports import PayoutProvider
from domain.b2c.withdrawal import B2cAccepted, B2cRequest
from domain.shared.errors import DuplicatePayoutError, ProviderOutcomeUnknownError
from domain.shared.status_query import StatusQueryRequest

B2C_PAYMENT_PATH = "/mpesa/b2c/v3/paymentrequest"
# Daraja's Remarks take 2–100 characters, Occasion up to 100 (docs/daraja.md#b2c-request).
_REMARKS_LIMIT = 100
_REMARKS_MINIMUM = 2
_OCCASION_LIMIT = 100
_DUPLICATE_CODE = "500.002.1001"


class DarajaB2cClient(PayoutProvider):
    """B2C payment requests (v3) and Transaction Status queries through one shared httpx client with Daraja token
    auth. Payment requests are sent once, never repeated; status queries are retried per `query_retry`. Every call
    goes through `breaker`, which should be the one breaker of the process for this Daraja base URL.

    `security_credential` is the initiator password already encrypted for this environment, computed once at
    start-up; it never appears in logs or in this object's repr.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        auth: httpx.Auth,
        settings: B2cSettings,
        security_credential: str,
        *,
        breaker: DarajaCircuitBreaker | None = None,
        query_retry: RetryPolicy | None = None,
        metrics: DarajaCallMetrics | None = None,
    ) -> None:
        self._http, self._auth, self._settings = http, auth, settings
        self._security_credential = security_credential
        self._breaker = breaker if breaker is not None else DarajaCircuitBreaker()
        self._query_retry = query_retry if query_retry is not None else RetryPolicy()
        self._metrics = metrics
        self._status_asker = StatusAsker(
            settings.initiator_name,
            security_credential,
            settings.shortcode,
            settings.status_result_base_url,
            settings.status_timeout_base_url,
            remarks="Payout status",
        )

    def __repr__(self) -> str:
        return f"DarajaB2cClient({self._settings!r})"

    async def send_b2c(self, request: B2cRequest) -> B2cAccepted:
        body: dict[str, object] = {
            "OriginatorConversationID": request.originator_conversation_id,
            "InitiatorName": self._settings.initiator_name,
            "SecurityCredential": self._security_credential,
            "CommandID": self._settings.command_id,
            "Amount": request.amount.shillings,
            "PartyA": self._settings.shortcode,
            "PartyB": request.phone.msisdn,
            "Remarks": _remarks(request.remarks.text),
            "QueueTimeOutURL": callback_url(self._settings.timeout_base_url, request.callback_token),
            "ResultURL": callback_url(self._settings.result_base_url, request.callback_token),
        }
        if request.occasion is not None:
            # Daraja's own spelling (docs/daraja.md#b2c-request); the merchant's reference was checked to fit.
            body["Occassion"] = request.occasion[:_OCCASION_LIMIT]
        response = await self._post(B2C_PAYMENT_PATH, body)
        answer = json_object(response)
        if response.status_code == 200 and says_accepted(answer):
            conversation_id = answer.get("ConversationID")
            if not isinstance(conversation_id, str) or not conversation_id:
                # Accepted, so the money may move; without Daraja's id only a status query can tell.
                raise ProviderOutcomeUnknownError("Daraja accepted the payout without a ConversationID")
            echoed = answer.get("OriginatorConversationID")
            return B2cAccepted(
                conversation_id, echoed if isinstance(echoed, str) and echoed else request.originator_conversation_id
            )
        if _is_duplicate(answer):
            raise DuplicatePayoutError(
                f"Daraja has already seen OriginatorConversationID {request.originator_conversation_id}"
            )
        raise refusal_error(response, answer)

    async def request_transaction_status(self, query: StatusQueryRequest) -> None:
        await ask_transaction_status(self._post, self._status_asker, query, self._query_retry)

    async def _post(self, path: str, body: dict[str, object]) -> httpx.Response:
        return await post_to_daraja(
            self._http, self._auth, self._settings.base_url, path, body, self._breaker, self._metrics
        )


def _remarks(description: str) -> str:
    remarks = description[:_REMARKS_LIMIT].strip()
    return remarks if len(remarks) >= _REMARKS_MINIMUM else f"Payout {remarks}".strip()


def _is_duplicate(answer: dict[str, object]) -> bool:
    # 500.002.1001 is also seen as "System internal error." (docs/daraja.md#error-answers): only the duplicate wording
    # counts.
    message = error_message(answer)
    return (
        error_code(answer) == _DUPLICATE_CODE
        and isinstance(message, str)
        and "duplicate originatorconversationid" in message.lower()
    )
