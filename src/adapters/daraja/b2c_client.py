import httpx

from adapters.daraja.b2c_settings import B2cSettings
from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.json_body import json_object
from domain.errors import DuplicatePayoutError, ProviderOutcomeUnknownError
from domain.ports import PayoutProvider
from domain.withdrawal import B2cAccepted, B2cRequest

B2C_PAYMENT_PATH = "/mpesa/b2c/v3/paymentrequest"
# Daraja's Remarks take 2–100 characters (DARAJA.md §4.1).
_REMARKS_LIMIT = 100
_REMARKS_MINIMUM = 2
_DUPLICATE_CODE = "500.002.1001"


class DarajaB2cClient(PayoutProvider):
    """B2C payment requests (v3) through one shared httpx client with Daraja token auth.

    `security_credential` is the initiator password already encrypted for this environment, computed once at
    start-up; it never appears in logs or in this object's repr.
    """

    def __init__(
        self, http: httpx.AsyncClient, auth: httpx.Auth, settings: B2cSettings, security_credential: str
    ) -> None:
        self._http, self._auth, self._settings = http, auth, settings
        self._security_credential = security_credential

    def __repr__(self) -> str:
        return f"DarajaB2cClient({self._settings!r})"

    async def send_b2c(self, request: B2cRequest) -> B2cAccepted:
        body = {
            "OriginatorConversationID": request.originator_conversation_id,
            "InitiatorName": self._settings.initiator_name,
            "SecurityCredential": self._security_credential,
            "CommandID": self._settings.command_id,
            "Amount": request.amount.shillings,
            "PartyA": self._settings.shortcode,
            "PartyB": request.phone.msisdn,
            "Remarks": _remarks(request.remarks.text),
            "QueueTimeOutURL": f"{self._settings.timeout_base_url.rstrip('/')}/{request.callback_token}",
            "ResultURL": f"{self._settings.result_base_url.rstrip('/')}/{request.callback_token}",
        }
        response = await post_to_daraja(self._http, self._auth, self._settings.base_url, B2C_PAYMENT_PATH, body)
        answer = json_object(response)
        if response.status_code == 200 and answer.get("ResponseCode") == "0":
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


def _remarks(description: str) -> str:
    remarks = description[:_REMARKS_LIMIT].strip()
    return remarks if len(remarks) >= _REMARKS_MINIMUM else f"Payout {remarks}".strip()


def _is_duplicate(answer: dict[str, object]) -> bool:
    # 500.002.1001 is also seen as "System internal error." (DARAJA.md §7): only the duplicate wording counts.
    message = answer.get("errorMessage")
    return (
        answer.get("errorCode") == _DUPLICATE_CODE
        and isinstance(message, str)
        and "duplicate originatorconversationid" in message.lower()
    )
