"""What the C2B use-cases need from the outside world."""

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from domain.c2b.confirmation import C2bPayment
from domain.c2b.payment_request import PaymentRequest
from domain.shared.resume_cursor import ResumeCursor


class PaymentRequests(Protocol):
    @abstractmethod
    async def add(self, request: PaymentRequest) -> None:
        """Store a new request; ReferenceTakenError when an open request already holds its account reference."""

    @abstractmethod
    async def by_reference(self, reference: str) -> PaymentRequest | None:
        """The newest request for this (normalised) account reference: the open one, if one is open."""

    @abstractmethod
    async def by_id(self, subject: str, request_id: str) -> PaymentRequest | None:
        """The request with this id on this subject."""

    @abstractmethod
    async def save(self, request: PaymentRequest) -> None:
        """Store the request's new state; ConcurrentUpdateError when its version moved since it was read."""

    @abstractmethod
    async def due_to_expire(self, expired_before: datetime, limit: int) -> list[PaymentRequest]:
        """Open requests that expired before `expired_before`, oldest expiry first."""

    @abstractmethod
    async def open_on(self, subject: str, limit: int) -> list[PaymentRequest]:
        """Up to `limit` open requests of this subject, most recently changed first."""

    @abstractmethod
    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[PaymentRequest]:
        """Up to `limit` requests of this subject, open or closed, changed after `after`, in change order."""


class C2bPayments(Protocol):
    @abstractmethod
    async def record(self, payment: C2bPayment) -> bool:
        """Store the payment under its TransID; False (and nothing changed) when that TransID is stored already."""

    @abstractmethod
    async def by_trans_id(self, trans_id: str) -> C2bPayment | None:
        """The payment stored under this TransID."""

    @abstractmethod
    async def by_reference(self, reference: str, limit: int) -> list[C2bPayment]:
        """Up to `limit` payments to this (normalised) account reference, newest first."""

    @abstractmethod
    async def by_payer(self, payer_forms: list[str], limit: int) -> list[C2bPayment]:
        """Up to `limit` payments whose payer field, as Daraja sent it, is one of `payer_forms`, newest first."""
