"""C2B Register URL (v1/v2), Pull Transactions (register + query) and Dynamic QR (docs/daraja.md#c2b-register-url,
#pull-transactions, #dynamic-qr)."""

import base64
import binascii
from datetime import datetime

import httpx
import structlog

from adapters.daraja.answer_fields import error_code, error_message, says_accepted
from adapters.daraja.c2b_settings import C2bSettings
from adapters.daraja.call_metrics import DarajaCallMetrics
from adapters.daraja.circuit_breaker import DarajaCircuitBreaker
from adapters.daraja.daraja_post import post_to_daraja, refusal_error
from adapters.daraja.daraja_query import raise_if_troubled, with_retries
from adapters.daraja.json_body import json_object
from adapters.daraja.pull_rows import EAT, transactions_of
from adapters.daraja.retry_policy import RetryPolicy
from domain.c2b.confirmation import C2bTransaction
from domain.c2b.provider import (
    C2bProvider,
    PullRegistration,
    PullUnavailableError,
    QrImage,
    QrRequest,
    UrlRegistration,
    UrlsAlreadyRegisteredError,
)
from domain.shared.errors import ProviderOutcomeUnknownError, ProviderRejectedError

logger = structlog.get_logger()

PULL_REGISTER_PATH = "/pulltransactions/v1/register"
PULL_QUERY_PATH = "/pulltransactions/v1/query"
QR_PATH = "/mpesa/qrcode/v1/generate"
_PRODUCT_MISMATCH = "401.003.01"  # the Daraja app holds the other C2B version's product
_ALREADY_REGISTERED = "500.003.1001"
_PULL_REGISTERED, _PULL_ALREADY = "1000", "1001"
_PULL_DATA, _PULL_NONE = "1000", "1001"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def register_path(version: str) -> str:
    return f"/mpesa/c2b/{version}/registerurl"


class DarajaC2bClient(C2bProvider):
    """One shared httpx client with Daraja token auth, through the process's breaker. Registrations are sent once
    (a product-version mismatch is retried once on the other version); Pull queries and QR requests are harmless to
    repeat and are retried per `query_retry`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        auth: httpx.Auth,
        settings: C2bSettings,
        *,
        breaker: DarajaCircuitBreaker | None = None,
        query_retry: RetryPolicy | None = None,
        metrics: DarajaCallMetrics | None = None,
    ) -> None:
        self._http, self._auth, self._settings = http, auth, settings
        self._breaker = breaker if breaker is not None else DarajaCircuitBreaker()
        self._query_retry = query_retry if query_retry is not None else RetryPolicy()
        self._metrics = metrics

    def __repr__(self) -> str:
        return f"DarajaC2bClient({self._settings!r})"

    async def register_urls(self, registration: UrlRegistration) -> None:
        body: dict[str, object] = {
            "ShortCode": registration.shortcode,
            "ResponseType": registration.default_action.value,
            "ConfirmationURL": registration.confirmation_url,
            "ValidationURL": registration.validation_url,
        }
        version = self._settings.register_version
        response = await self._post(register_path(version), body)
        answer = json_object(response)
        if error_code(answer) == _PRODUCT_MISMATCH:
            # Safaricom's support has sent integrators both ways; the app's product decides which path answers.
            logger.warning("c2b_register_version_mismatch", tried=version, retrying=self._settings.other_version)
            response = await self._post(register_path(self._settings.other_version), body)
            answer = json_object(response)
        if response.status_code == 200 and says_accepted(answer):
            return
        if _says_already_registered(answer):
            raise UrlsAlreadyRegisteredError(
                str(error_code(answer) or _ALREADY_REGISTERED),
                "the shortcode's URLs are already registered; delete them in the Daraja portal (Self Services, "
                "URL Management) or ask Safaricom, then register again",
            )
        logger.warning("c2b_register_refused", status=response.status_code, answer=_printable(answer, response))
        if response.status_code == 200:
            raise ProviderRejectedError(str(answer.get("ResponseCode", "")), str(answer.get("ResponseDescription", "")))
        raise refusal_error(response, answer)

    async def register_pull(self, registration: PullRegistration) -> bool:
        body: dict[str, object] = {
            "ShortCode": registration.shortcode,
            "RequestType": "Pull",
            "NominatedNumber": registration.nominated_number,
            "CallBackURL": registration.callback_url,
        }
        response = await self._post(PULL_REGISTER_PATH, body)
        answer = json_object(response)
        # Both key spellings are published: "ResponseStatus" (the sample) and "Response Status" (the field table).
        status = str(answer.get("ResponseStatus", answer.get("Response Status", "")))
        if response.status_code == 200 and status in (_PULL_REGISTERED, _PULL_ALREADY):
            return status == _PULL_REGISTERED
        code = error_code(answer)
        if isinstance(code, str) and code.startswith("400.001"):
            raise PullUnavailableError(code, str(error_message(answer) or "Pull is not available for this shortcode"))
        raise refusal_error(response, answer)

    async def pull_transactions(self, shortcode: str, start: datetime, end: datetime) -> list[C2bTransaction]:
        found: list[C2bTransaction] = []
        offset = 0
        for _ in range(self._settings.max_pull_pages):
            page = await self._pull_page(shortcode, start, end, offset)
            if not page:
                return found
            found.extend(page)
            offset += len(page)
        logger.warning("c2b_pull_pages_capped", shortcode=shortcode, rows=len(found))
        return found

    async def _pull_page(self, shortcode: str, start: datetime, end: datetime, offset: int) -> list[C2bTransaction]:
        body: dict[str, object] = {
            "ShortCode": shortcode,
            "StartDate": _eat(start),
            "EndDate": _eat(end),
            "OffSetValue": str(offset),
        }

        async def attempt() -> list[C2bTransaction]:
            response = await self._post(PULL_QUERY_PATH, body)
            answer = json_object(response)
            code = str(answer.get("ResponseCode", ""))
            if response.status_code == 200 and code == _PULL_NONE:
                return []
            if response.status_code == 200 and code == _PULL_DATA:
                return transactions_of(answer.get("Response"), shortcode)
            raise_if_troubled(response, answer)
            reported = error_code(answer)
            if isinstance(reported, str) and reported.startswith(("400.001", "401.001")):
                raise PullUnavailableError(reported, str(error_message(answer) or "Pull refused"))
            raise refusal_error(response, answer)

        return await with_retries(attempt, self._query_retry, PULL_QUERY_PATH)

    async def generate_qr(self, request: QrRequest) -> QrImage:
        body: dict[str, object] = {
            "MerchantName": request.merchant_name,
            "RefNo": request.reference,
            "Amount": request.amount,
            "TrxCode": request.kind.value,
            "CPI": request.credit_party,
            "Size": str(request.size),
        }

        async def attempt() -> QrImage:
            response = await self._post(QR_PATH, body)
            answer = json_object(response)
            # ResponseCode is published as "00", "0" and an AG_ id: success is HTTP 200 with a PNG in QRCode.
            encoded = answer.get("QRCode")
            if response.status_code == 200 and isinstance(encoded, str) and encoded:
                try:
                    png = base64.b64decode(encoded, validate=True)
                except (binascii.Error, ValueError):
                    png = b""
                if not png.startswith(_PNG_SIGNATURE):
                    raise ProviderOutcomeUnknownError("Daraja's QRCode is not a base64 PNG")
                return QrImage(png, str(answer.get("RequestID", "")))
            raise_if_troubled(response, answer)
            if response.status_code == 200:
                raise ProviderRejectedError(str(answer.get("ResponseCode", "")), "Daraja answered without a QR code")
            raise refusal_error(response, answer)

        return await with_retries(attempt, self._query_retry, QR_PATH)

    async def _post(self, path: str, body: dict[str, object]) -> httpx.Response:
        return await post_to_daraja(
            self._http, self._auth, self._settings.base_url, path, body, self._breaker, self._metrics
        )


def _eat(moment: datetime) -> str:
    # Daraja reads Pull windows in Kenyan time, "YYYY-MM-DD HH:MM:SS".
    return moment.astimezone(EAT).strftime("%Y-%m-%d %H:%M:%S")


def _says_already_registered(answer: dict[str, object]) -> bool:
    texts = [error_message(answer), answer.get("ResponseDescription")]
    wording = " ".join(text.lower() for text in texts if isinstance(text, str))
    return "already registered" in wording or "duplicate notification info" in wording


def _printable(answer: dict[str, object], response: httpx.Response) -> object:
    # A Daraja refusal body carries no secret; an Apigee fault is not JSON-shaped like the others.
    return answer if answer else response.text[:300]
