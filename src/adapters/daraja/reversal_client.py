"""Daraja's Transaction Reversal request (docs/daraja.md#transaction-reversal): one POST, sent once, answered later at
the reversal's own URLs."""

from dataclasses import dataclass

import httpx

from adapters.daraja.answer_fields import says_accepted
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.json_body import json_object
from domain.errors import ProviderOutcomeUnknownError
from domain.reversals.ports import ReversalProvider
from domain.reversals.reversal import ReversalAccepted, ReversalRequest

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
        metrics: DarajaCallMetrics | None = None,
    ) -> None:
        self._http, self._auth, self._settings = http, auth, settings
        self._security_credential = security_credential
        self._breaker = breaker if breaker is not None else DarajaCircuitBreaker()
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
            "ReceiverParty": self._settings.receiver_party,
            _RECEIVER_TYPE_KEY: _ORGANISATION,
            "ResultURL": _url(self._settings.result_base_url, request.callback_token),
            "QueueTimeOutURL": _url(self._settings.timeout_base_url, request.callback_token),
            "Remarks": request.remarks.text[:_REMARKS_LIMIT],
        }
        response = await post_to_daraja(
            self._http, self._auth, self._settings.base_url, REVERSAL_PATH, body, self._breaker, self._metrics
        )
        answer = json_object(response)
        if response.status_code == 200 and says_accepted(answer):
            conversation_id, originator = answer.get("ConversationID"), answer.get("OriginatorConversationID")
            if not isinstance(conversation_id, str) or not conversation_id:
                # Accepted, so the money may move: without Daraja's id only its Result can tell.
                raise ProviderOutcomeUnknownError("Daraja accepted the reversal without a ConversationID")
            return ReversalAccepted(conversation_id, originator if isinstance(originator, str) else "")
        raise refusal_error(response, answer)


def _url(base_url: str, callback_token: str) -> str:
    return f"{base_url.rstrip('/')}/{callback_token}"
