import httpx

from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.json_body import json_object
from adapters.daraja.settings import DarajaSettings
from adapters.daraja.stk_password import daraja_timestamp, stk_password
from domain.payment import StkPushAccepted, StkPushRequest
from domain.ports import Clock, PaymentProvider

STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
# Daraja's field limits (DARAJA.md §2.1): the gateway keeps the full description, Daraja gets what fits.
_TRANSACTION_DESC_LIMIT = 13
_ACCOUNT_REFERENCE_LIMIT = 12


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
        response = await post_to_daraja(self._http, self._auth, self._settings.base_url, STK_PUSH_PATH, body)
        answer = json_object(response)
        if response.status_code == 200 and answer.get("ResponseCode") == "0" and answer.get("CheckoutRequestID"):
            return StkPushAccepted(
                merchant_request=str(answer.get("MerchantRequestID", "")), checkout=str(answer["CheckoutRequestID"])
            )
        raise refusal_error(response, answer)
