"""Daraja's Transaction Reversal request (docs/daraja.md#transaction-reversal): one POST, sent once, answered later at
the reversal's own URLs."""

from dataclasses import dataclass

import httpx

from adapters.daraja.answer_fields import says_accepted
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.callback_url import callback_url
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.json_body import json_object
from adapters.daraja.retry_policy import RetryPolicy
from adapters.daraja.transaction_status import StatusAsker, ask_transaction_status
from domain.reversals.ports import ReversalProvider
from domain.reversals.reversal import ReversalAccepted, ReversalRequest
from domain.shared.errors import ProviderOutcomeUnknownError
from domain.shared.status_query import StatusQueryRequest

REVERSAL_PATH = "/mpesa/reversal/v1/request"
# "11" under Daraja's own misspelt key: the correct spelling is refused (docs/daraja.md#transaction-reversal).
_RECEIVER_TYPE_KEY = "RecieverIdentifierType"
_ORGANISATION = "11"
_REMARKS_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ReversalSettings:
    """Which shortcode received the payments, as which initiator, and where Daraja posts the Result (each URL ends
    with the reversal's own secret)."""

    base_url: str
    receiver_party: str
    initiator_name: str
    result_base_url: str
    timeout_base_url: str
    status_result_base_url: str = ""
    status_timeout_base_url: str = ""


class DarajaReversalClient(ReversalProvider):
    """Reversals, asked with the same initiator and SecurityCredential as B2C payouts; never repeated here."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        auth: httpx.Auth,
        settings: ReversalSettings,
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
            settings.receiver_party,
            settings.status_result_base_url,
            settings.status_timeout_base_url,
            remarks="Reversal status",
        )

    def __repr__(self) -> str:
        return f"DarajaReversalClient(receiver_party={self._settings.receiver_party!r})"

    async def send_reversal(self, request: ReversalRequest) -> ReversalAccepted:
        body: dict[str, object] = {
            "Initiator": self._settings.initiator_name,
            "SecurityCredential": self._security_credential,
            "CommandID": "TransactionReversal",
            "TransactionID": request.receipt,
            "Amount": request.amount.shillings,
            "ReceiverParty": request.receiver_party or self._settings.receiver_party,
            _RECEIVER_TYPE_KEY: _ORGANISATION,
            "ResultURL": callback_url(self._settings.result_base_url, request.callback_token),
            "QueueTimeOutURL": callback_url(self._settings.timeout_base_url, request.callback_token),
            "Remarks": request.remarks.text[:_REMARKS_LIMIT],
        }
        response = await self._post(REVERSAL_PATH, body)
        answer = json_object(response)
        if response.status_code == 200 and says_accepted(answer):
            conversation_id, originator = answer.get("ConversationID"), answer.get("OriginatorConversationID")
            if not isinstance(conversation_id, str) or not conversation_id:
                # Accepted, so the money may move: without Daraja's id only its Result can tell.
                raise ProviderOutcomeUnknownError("Daraja accepted the reversal without a ConversationID")
            return ReversalAccepted(conversation_id, originator if isinstance(originator, str) else "")
        raise refusal_error(response, answer)

    async def request_transaction_status(self, query: StatusQueryRequest) -> None:
        await ask_transaction_status(self._post, self._status_asker, query, self._query_retry)

    async def _post(self, path: str, body: dict[str, object]) -> httpx.Response:
        return await post_to_daraja(
            self._http, self._auth, self._settings.base_url, path, body, self._breaker, self._metrics
        )
