"""In-memory stand-ins for the domain's ports: they keep state that tests assert on, not call logs."""

import copy
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from domain.errors import ConcurrentUpdateError
from domain.payment import Payment, StkPushAccepted, StkPushRequest


class FakePaymentRepository:
    """Payments by id, handed out and stored as copies so only `save` can change what is stored."""

    def __init__(self, *payments: Payment) -> None:
        self._by_id: dict[str, Payment] = {p.id: copy.deepcopy(p) for p in payments}
        self._concurrent_writes: deque[Callable[[Payment], None]] = deque()

    async def add(self, payment: Payment) -> None:
        if payment.id in self._by_id:
            raise AssertionError(f"payment {payment.id} added twice")
        self._by_id[payment.id] = copy.deepcopy(payment)

    async def save(self, payment: Payment) -> None:
        if payment.id not in self._by_id:
            raise AssertionError(f"payment {payment.id} saved before it was added")
        if self._concurrent_writes:
            self.write_behind_your_back(payment.id, self._concurrent_writes.popleft())
        stored = self._by_id[payment.id]
        if stored.version != payment.version:
            raise ConcurrentUpdateError(f"payment {payment.id} is at version {stored.version}, not {payment.version}")
        payment.version += 1
        self._by_id[payment.id] = copy.deepcopy(payment)

    async def by_checkout(self, hash_: str, checkout: str) -> Payment | None:
        return self._first(lambda p: p.hash == hash_ and checkout in (p.checkout, p.id))

    async def by_callback_token(self, token: str) -> Payment | None:
        return self._first(lambda p: p.callback_token == token)

    def get(self, payment_id: str) -> Payment:
        """The stored state, as a copy, for assertions."""
        return copy.deepcopy(self._by_id[payment_id])

    def all(self) -> list[Payment]:
        return [copy.deepcopy(p) for p in self._by_id.values()]

    def write_behind_your_back(self, payment_id: str, change: Callable[[Payment], None] = lambda _: None) -> None:
        """Another writer changes the stored payment now, bumping its version."""
        stored = self._by_id[payment_id]
        change(stored)
        stored.version += 1

    def interleave_write(self, change: Callable[[Payment], None] = lambda _: None) -> None:
        """Another writer changes the payment just before the next save lands (between its read and its save)."""
        self._concurrent_writes.append(change)

    def _first(self, matches: Callable[[Payment], bool]) -> Payment | None:
        found = next((p for p in self._by_id.values() if matches(p)), None)
        return copy.deepcopy(found) if found is not None else None


class FakePaymentProvider:
    """Records each STK push; answers from a script, else accepts with fresh ids."""

    def __init__(self, during_request: Callable[[StkPushRequest], Awaitable[None]] | None = None) -> None:
        self.requests: list[StkPushRequest] = []
        self._script: deque[StkPushAccepted | Exception] = deque()
        self._serial = count(1)
        self._during_request = during_request

    def will_accept(self, merchant_request: str, checkout: str) -> None:
        self._script.append(StkPushAccepted(merchant_request, checkout))

    def will_raise(self, error: Exception) -> None:
        self._script.append(error)

    async def start_stk_push(self, request: StkPushRequest) -> StkPushAccepted:
        self.requests.append(request)
        if self._during_request is not None:
            await self._during_request(request)
        answer = self._script.popleft() if self._script else self._next_accepted()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _next_accepted(self) -> StkPushAccepted:
        n = next(self._serial)
        return StkPushAccepted(f"29115-34620561-{n}", f"ws_CO_19122019102036392{n:03d}")


class FakeBroadcaster:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, topic: str, data: Mapping[str, Any]) -> None:
        self.published.append((topic, copy.deepcopy(dict(data))))


class FixedClock:
    def __init__(self, now: datetime = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)) -> None:
        self.set(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        if now.utcoffset() != timedelta(0):
            raise ValueError("the clock speaks timezone-aware UTC only")
        self._now = now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class SequentialIdentifiers:
    def __init__(self) -> None:
        self._ids = count(1)
        self._secrets = count(1)

    def new_id(self) -> str:
        return f"pay{next(self._ids):09d}"

    def new_secret(self) -> str:
        return f"cb-secret-{next(self._secrets):04d}"
