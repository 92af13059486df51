"""Daraja's Account Balance query (docs/balances.md#the-request): one POST, answered later at the query's own URLs."""

from dataclasses import dataclass

import httpx

from adapters.daraja.answer_fields import says_accepted
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.callback_url import callback_url
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.json_body import json_object
from domain.balances.balance_check import BalanceQueryAccepted, BalanceQueryRequest
from domain.balances.ports import BalanceProvider
from domain.shared.errors import ProviderOutcomeUnknownError

ACCOUNT_BALANCE_PATH = "/mpesa/accountbalance/v1/query"
_ORGANISATION_SHORTCODE = "4"  # IdentifierType: the shortcode itself
_REMARKS_LIMIT = 100


@dataclass(frozen=True, slots=True)
class BalanceSettings:
    """Which shortcode is asked about, as which initiator, and where Daraja posts the answer (each URL ends with
    the query's own secret)."""

    base_url: str
    shortcode: str
    initiator_name: str
    result_base_url: str
    timeout_base_url: str


class DarajaBalanceClient(BalanceProvider):
    """The B2C shortcode's balances, asked with the same initiator and SecurityCredential as its payouts."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        auth: httpx.Auth,
        settings: BalanceSettings,
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
        return f"DarajaBalanceClient(shortcode={self._settings.shortcode!r})"

    async def request_account_balance(self, request: BalanceQueryRequest) -> BalanceQueryAccepted:
        body: dict[str, object] = {
            "Initiator": self._settings.initiator_name,
            "SecurityCredential": self._security_credential,
            "CommandID": "AccountBalance",
            "PartyA": self._settings.shortcode,
            "IdentifierType": _ORGANISATION_SHORTCODE,
            "Remarks": request.remarks[:_REMARKS_LIMIT],
            # The sample's casing (the field table writes QueueTimeoutURL).
            "QueueTimeOutURL": callback_url(self._settings.timeout_base_url, request.callback_token),
            "ResultURL": callback_url(self._settings.result_base_url, request.callback_token),
        }
        response = await post_to_daraja(
            self._http, self._auth, self._settings.base_url, ACCOUNT_BALANCE_PATH, body, self._breaker, self._metrics
        )
        answer = json_object(response)
        if response.status_code == 200 and says_accepted(answer):
            conversation_id, originator = answer.get("ConversationID"), answer.get("OriginatorConversationID")
            if not isinstance(conversation_id, str) or not conversation_id:
                raise ProviderOutcomeUnknownError("Daraja accepted the balance query without a ConversationID")
            return BalanceQueryAccepted(conversation_id, originator if isinstance(originator, str) else "")
        raise refusal_error(response, answer)
