"""In-memory stand-ins for the C2B ports: copies in and out, so only `save` and `record` change what is stored."""

import asyncio
import copy
from collections.abc import Callable
from datetime import datetime

from domain.c2b.confirmation import C2bPayment, C2bTransaction
from domain.c2b.errors import ReferenceTakenError
from domain.c2b.payment_request import PaymentRequest, RequestStatus
from domain.c2b.provider import PullRegistration, QrImage, QrRequest, UrlRegistration
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.resume_cursor import ResumeCursor


class FakePaymentRequests:
    def __init__(self) -> None:
        self._by_id: dict[str, PaymentRequest] = {}
        self.slow: asyncio.Event | None = None
        self._failure: Exception | None = None

    def answers_only_when(self, released: asyncio.Event) -> None:
        """From now on, reads wait for `released`, as a store that has stopped answering."""
        self.slow = released

    async def add(self, request: PaymentRequest) -> None:
        if any(r.reference == request.reference and r.status is RequestStatus.OPEN for r in self._by_id.values()):
            raise ReferenceTakenError()
        self._by_id[request.id] = copy.deepcopy(request)

    async def by_reference(self, reference: str) -> PaymentRequest | None:
        if self.slow is not None:
            await self.slow.wait()
        found = [r for r in self._by_id.values() if r.reference.text == reference]
        return copy.deepcopy(max(found, key=lambda r: r.created_at)) if found else None

    async def by_id(self, subject: str, request_id: str) -> PaymentRequest | None:
        found = self._by_id.get(request_id)
        return copy.deepcopy(found) if found is not None and found.subject == subject else None

    def fail_next_save(self, error: Exception) -> None:
        """The next `save` raises `error` and stores nothing, as a process dying before its write."""
        self._failure = error

    async def save(self, request: PaymentRequest) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        stored = self._by_id[request.id]
        if stored.version != request.version:
            raise ConcurrentUpdateError(f"request {request.id} is at version {stored.version}")
        request.version += 1
        self._by_id[request.id] = copy.deepcopy(request)

    async def due_to_expire(self, expired_before: datetime, limit: int) -> list[PaymentRequest]:
        due = [r for r in self._by_id.values() if r.status is RequestStatus.OPEN and r.expires_at < expired_before]
        return [copy.deepcopy(r) for r in sorted(due, key=lambda r: r.expires_at)[:limit]]

    async def open_on(self, subject: str, limit: int) -> list[PaymentRequest]:
        found = [r for r in self._by_id.values() if r.subject == subject and r.status is RequestStatus.OPEN]
        return [copy.deepcopy(r) for r in sorted(found, key=lambda r: r.updated_at, reverse=True)[:limit]]

    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[PaymentRequest]:
        found = [r for r in self._by_id.values() if r.subject == subject and ResumeCursor.of(r) > after]
        return [copy.deepcopy(r) for r in sorted(found, key=ResumeCursor.of)[:limit]]

    def get(self, request_id: str) -> PaymentRequest:
        return copy.deepcopy(self._by_id[request_id])


class FakeC2bPayments:
    def __init__(self) -> None:
        self.by_id: dict[str, C2bPayment] = {}

    async def record(self, payment: C2bPayment) -> bool:
        if payment.trans_id in self.by_id:
            return False
        self.by_id[payment.trans_id] = copy.deepcopy(payment)
        return True

    async def by_trans_id(self, trans_id: str) -> C2bPayment | None:
        found = self.by_id.get(trans_id)
        return copy.deepcopy(found) if found is not None else None

    async def save(self, payment: C2bPayment) -> None:
        stored = self.by_id[payment.trans_id]
        if stored.version != payment.version:
            raise ConcurrentUpdateError(f"C2B payment {payment.trans_id} is at version {stored.version}")
        payment.version += 1
        self.by_id[payment.trans_id] = copy.deepcopy(payment)

    async def by_reference(self, reference: str, limit: int) -> list[C2bPayment]:
        return self._newest(lambda p: p.transaction.reference == reference, limit)

    async def by_payer(self, payer_forms: list[str], limit: int) -> list[C2bPayment]:
        return self._newest(lambda p: p.transaction.payer.msisdn in payer_forms, limit)

    def _newest(self, wanted: Callable[[C2bPayment], bool], limit: int) -> list[C2bPayment]:
        found = sorted((p for p in self.by_id.values() if wanted(p)), key=lambda p: p.received_at, reverse=True)
        return copy.deepcopy(found[:limit])


class FakeC2bProvider:
    """Daraja's C2B side: records each URL registration it is sent, or answers with the error it is given."""

    def __init__(self) -> None:
        self.registrations: list[UrlRegistration] = []
        self.refusal: Exception | None = None
        self.pull_registrations: list[PullRegistration] = []
        self.pulled: list[C2bTransaction] = []  # what M-PESA holds: what Pull answers with
        self.pull_windows: list[tuple[datetime, datetime]] = []
        self.qr_requests: list[QrRequest] = []

    async def register_urls(self, registration: UrlRegistration) -> None:
        if self.refusal is not None:
            raise self.refusal
        self.registrations.append(registration)

    async def register_pull(self, registration: PullRegistration) -> bool:
        if self.refusal is not None:
            raise self.refusal
        self.pull_registrations.append(registration)
        return len(self.pull_registrations) == 1

    async def pull_transactions(self, shortcode: str, start: datetime, end: datetime) -> list[C2bTransaction]:
        self.pull_windows.append((start, end))
        return [transaction for transaction in self.pulled if transaction.shortcode == shortcode]

    async def generate_qr(self, request: QrRequest) -> QrImage:
        self.qr_requests.append(request)
        return QrImage(b"\x89PNG\r\n\x1a\n" + request.reference.encode(), f"qr-{len(self.qr_requests)}")
