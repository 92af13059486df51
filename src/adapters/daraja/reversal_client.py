"""Daraja's Transaction Reversal request (docs/daraja.md#transaction-reversal): one POST, sent once, answered later at
the reversal's own URLs."""

from dataclasses import dataclass

import httpx

from adapters.daraja.answer_fields import says_accepted
from adapters.daraja.b2c_client import TRANSACTION_STATUS_PATH
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.daraja_query import raise_if_troubled, with_retries
from adapters.daraja.json_body import json_object
from adapters.daraja.retry_policy import RetryPolicy
from domain.reversals.ports import ReversalProvider
from domain.reversals.reversal import ReversalAccepted, ReversalRequest
from domain.shared.errors import ProviderOutcomeUnknownError
from domain.shared.status_query import StatusQueryRequest

REVERSAL_PATH = "/mpesa/reversal/v1/request"
# "11" under Daraja's own misspelt key: the correct spelling is refused (docs/daraja.md#transaction-reversal).
_RECEIVER_TYPE_KEY = "RecieverIdentifierType"
_ORGANISATION = "11"
_REMARKS_LIMIT = 100
_ORGANISATION_SHORTCODE = "4"  # Transaction Status IdentifierType (docs/daraja.md#transaction-status)


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
            "ResultURL": _url(self._settings.result_base_url, request.callback_token),
            "QueueTimeOutURL": _url(self._settings.timeout_base_url, request.callback_token),
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
        # As for payouts (docs/daraja.md#transaction-status): the URLs carry the query's own single-use secret.
        body: dict[str, object] = {
            "Initiator": self._settings.initiator_name,
            "SecurityCredential": self._security_credential,
            "CommandID": "TransactionStatusQuery",
            "OriginalConversationID": query.originator_conversation_id,
            "PartyA": query.party or self._settings.receiver_party,
            "IdentifierType": _ORGANISATION_SHORTCODE,
            "ResultURL": _url(self._settings.status_result_base_url, query.callback_token),
            "QueueTimeOutURL": _url(self._settings.status_timeout_base_url, query.callback_token),
            "Remarks": "Reversal status",
            "Occasion": query.originator_conversation_id[:_REMARKS_LIMIT],
        }
        if query.receipt is not None:
            body["TransactionID"] = query.receipt

        async def attempt() -> None:
            response = await self._post(TRANSACTION_STATUS_PATH, body)
            answer = json_object(response)
            if response.status_code == 200 and says_accepted(answer):
                return
            raise_if_troubled(response, answer)
            raise refusal_error(response, answer)

        await with_retries(attempt, self._query_retry, TRANSACTION_STATUS_PATH)

    async def _post(self, path: str, body: dict[str, object]) -> httpx.Response:
        return await post_to_daraja(
            self._http, self._auth, self._settings.base_url, path, body, self._breaker, self._metrics
        )


def _url(base_url: str, callback_token: str) -> str:
    return f"{base_url.rstrip('/')}/{callback_token}"
