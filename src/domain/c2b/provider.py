"""What the gateway asks of Daraja for C2B: register the shortcode's URLs, pull its payments, draw a payment QR."""

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.c2b.confirmation import C2bTransaction
from domain.shared.errors import ProviderRejectedError


class DefaultAction(StrEnum):
    """What M-PESA does with a payment when the validation URL does not answer in time (Daraja's ResponseType)."""

    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


class QrKind(StrEnum):
    """Daraja's TrxCode: what a scanned QR pays."""

    BUY_GOODS = "BG"
    WITHDRAW_AT_AGENT = "WA"
    PAYBILL = "PB"
    SEND_MONEY = "SM"
    SEND_TO_BUSINESS = "SB"


@dataclass(frozen=True, slots=True)
class UrlRegistration:
    shortcode: str
    default_action: DefaultAction
    confirmation_url: str
    validation_url: str


@dataclass(frozen=True, slots=True)
class PullRegistration:
    shortcode: str
    nominated_number: str
    callback_url: str


@dataclass(frozen=True, slots=True)
class QrRequest:
    merchant_name: str
    reference: str
    amount: int
    kind: QrKind
    credit_party: str
    size: int


@dataclass(frozen=True, slots=True)
class QrImage:
    png: bytes
    request_id: str


class UrlsAlreadyRegisteredError(ProviderRejectedError):
    """Daraja keeps the shortcode's URLs from an earlier registration and will not replace them (production)."""


class PullUnavailableError(ProviderRejectedError):
    """Pull Transactions refused for this shortcode (it is not live in production, or not registered for Pull)."""


class C2bProvider(Protocol):
    @abstractmethod
    async def register_urls(self, registration: UrlRegistration) -> None:
        """Point the shortcode's validation and confirmation at these URLs. UrlsAlreadyRegisteredError when Daraja
        keeps earlier ones; ProviderRejectedError for other refusals; ProviderUnavailableError when not asked."""

    @abstractmethod
    async def register_pull(self, registration: PullRegistration) -> bool:
        """Register the shortcode for Pull Transactions: True when new, False when it was registered already.
        PullUnavailableError when Daraja does not offer Pull for it."""

    @abstractmethod
    async def pull_transactions(self, shortcode: str, start: datetime, end: datetime) -> list[C2bTransaction]:
        """Every C2B payment to the shortcode between `start` and `end` (Daraja keeps 48 hours), all pages."""

    @abstractmethod
    async def generate_qr(self, request: QrRequest) -> QrImage:
        """A PNG that the M-PESA app scans to pay; ProviderRejectedError when Daraja refuses the request."""
