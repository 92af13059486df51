"""The M-PESA QR code a customer scans to pay an open payment request by Paybill (Daraja's Dynamic QR)."""

from dataclasses import dataclass

from domain.c2b.errors import RequestClosedError
from domain.c2b.payment_request import RequestStatus
from domain.c2b.ports import PaymentRequests
from domain.c2b.provider import C2bProvider, QrImage, QrKind, QrRequest
from domain.shared.errors import NotFoundError, ValidationError

# Pixels a side: large enough for a phone camera across a counter.
QR_SIZE = 300


@dataclass(frozen=True, slots=True)
class QrShop:
    """Who the customer's app shows it pays: the merchant's name, and the Paybill the QR pays to."""

    merchant_name: str
    paybill: str


class DrawRequestQr:
    """A QR code paying the request's Paybill, with its account reference and what is still owed. Only an open
    request with an amount gets one (Daraja's QR carries the amount to pay, more than 0); Daraja draws it, the
    gateway stores nothing."""

    def __init__(self, requests: PaymentRequests, provider: C2bProvider, shop: QrShop) -> None:
        self._requests, self._provider, self._shop = requests, provider, shop

    async def __call__(self, subject: str, request_id: str) -> QrImage:
        request = await self._requests.by_id(subject, request_id)
        if request is None:
            raise NotFoundError(f"no payment request {request_id} on this hash")
        if request.status is not RequestStatus.OPEN:
            raise RequestClosedError(request.status.value)
        if request.outstanding <= 0:
            raise ValidationError("amount_rule", "an open amount has no QR code: Daraja's QR carries the amount")
        return await self._provider.generate_qr(
            QrRequest(
                self._shop.merchant_name,
                request.reference.text,
                request.outstanding,
                QrKind.PAYBILL,
                self._shop.paybill,
                QR_SIZE,
            )
        )
