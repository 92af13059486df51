"""In-memory stand-ins for the reversal ports: copies in and out, so only `add`, `save` and `claim_next` change
what is stored."""

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from domain.reversals.errors import ReversalAlreadyRequestedError
from domain.reversals.reversal import Reversal, ReversalAccepted, ReversalRequest, ReversalStatus
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.status_query import StatusQueryRequest
from domain.stk.payment import Payment


class FakeReversals:
    def __init__(self) -> None:
        self._by_id: dict[str, Reversal] = {}

    async def add(self, reversal: Reversal) -> None:
        await asyncio.sleep(0)
        if any(r.receipt == reversal.receipt and r.holds_receipt for r in self._by_id.values()):
            raise ReversalAlreadyRequestedError(reversal.receipt)
        self._by_id[reversal.id] = copy.deepcopy(reversal)

    async def save(self, reversal: Reversal) -> None:
        await asyncio.sleep(0)
        stored = self._by_id[reversal.id]
        if stored.version != reversal.version:
            raise ConcurrentUpdateError(f"reversal {reversal.id} is at version {stored.version}")
        reversal.version += 1
        self._by_id[reversal.id] = copy.deepcopy(reversal)

    async def by_id(self, reversal_id: str) -> Reversal | None:
        return copy.deepcopy(self._by_id.get(reversal_id))

    async def by_callback_token(self, token: str) -> Reversal | None:
        return copy.deepcopy(next((r for r in self._by_id.values() if r.callback_token == token), None))

    async def claim_next(self, worker: str, now: datetime, lease_until: datetime) -> Reversal | None:
        for stored in sorted(self._by_id.values(), key=lambda r: r.created_at):
            free = stored.lease_expires_at is None or stored.lease_expires_at < now
            if stored.status is ReversalStatus.REQUESTED and free:
                leased = replace(stored, lease_owner=worker, lease_expires_at=lease_until, version=stored.version + 1)
                self._by_id[stored.id] = copy.deepcopy(leased)
                return leased
        return None

    async def due_for_check(self, now: datetime, limit: int) -> list[Reversal]:
        found = [
            r
            for r in self._by_id.values()
            if r.status in (ReversalStatus.SENT, ReversalStatus.UNKNOWN)
            and r.originator_conversation_id
            and r.next_check_at is not None
            and r.next_check_at <= now
        ]
        return copy.deepcopy(sorted(found, key=lambda r: r.next_check_at or now)[:limit])

    async def by_status_query(self, token_digest: str) -> Reversal | None:
        found = (r for r in self._by_id.values() if r.status_query and r.status_query.token_digest == token_digest)
        return copy.deepcopy(next(found, None))

    def all(self) -> list[Reversal]:
        return copy.deepcopy(list(self._by_id.values()))

    def get(self, reversal_id: str) -> Reversal:
        return copy.deepcopy(self._by_id[reversal_id])


class FakeReversiblePayments:
    def __init__(self, *payments: Payment) -> None:
        self._by_id = {p.id: copy.deepcopy(p) for p in payments}

    async def by_receipt(self, receipt: str) -> Payment | None:
        return copy.deepcopy(next((p for p in self._by_id.values() if p.receipt == receipt), None))

    async def save(self, payment: Payment) -> None:
        stored = self._by_id[payment.id]
        if stored.version != payment.version:
            raise ConcurrentUpdateError(f"payment {payment.id} is at version {stored.version}")
        payment.version += 1
        self._by_id[payment.id] = copy.deepcopy(payment)

    def get(self, payment_id: str) -> Payment:
        return copy.deepcopy(self._by_id[payment_id])


class FakeReversalProvider:
    """Accepts every request unless told otherwise; `sent` keeps each request it was asked to send."""

    def __init__(self, during_request: Callable[[ReversalRequest], Awaitable[None]] | None = None) -> None:
        self.sent: list[ReversalRequest] = []
        self.status_queries: list[StatusQueryRequest] = []
        self._error: Exception | None = None
        self._during_request = during_request

    def will_raise(self, error: Exception) -> None:
        self._error = error

    async def send_reversal(self, request: ReversalRequest) -> ReversalAccepted:
        self.sent.append(request)
        if self._during_request is not None:
            await self._during_request(request)
        if self._error is not None:
            raise self._error
        return ReversalAccepted(f"AG_20250314_{len(self.sent):04d}", f"29115-{len(self.sent)}-1")

    async def request_transaction_status(self, query: StatusQueryRequest) -> None:
        self.status_queries.append(query)
