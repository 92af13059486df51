"""In-memory stand-ins for the domain's ports: they keep state that tests assert on, not call logs."""

import asyncio
import copy
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from domain.access.api_key import ApiKey
from domain.b2c.withdrawal import B2cAccepted, B2cRequest, Withdrawal, WithdrawalStatus
from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.received_callback import CallbackDigest, ReceivedCallback
from domain.records.listing import ListedRecord, PagePosition, RecordFilter, RecordKind
from domain.records.ports import StuckRecord
from domain.shared.errors import ConcurrentUpdateError, DomainError, PhoneHeldError, StoreUnavailableError
from domain.shared.idempotency import IDEMPOTENCY_WINDOW
from domain.shared.ports import IdempotencyClaim
from domain.shared.resume_cursor import ResumeCursor
from domain.shared.status_query import StatusQueryRequest
from domain.stk.payment import Payment, StkPushAccepted, StkPushRequest
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import PaymentStatus


class FakePaymentRepository:
    """Payments by id, handed out and stored as copies so only `save` can change what is stored."""

    def __init__(self, *payments: Payment) -> None:
        self._store_down_on_save = False
        self._by_id: dict[str, Payment] = {p.id: copy.deepcopy(p) for p in payments}
        self._concurrent_writes: deque[Callable[[Payment], None]] = deque()

    async def add(self, payment: Payment) -> None:
        if payment.id in self._by_id:
            raise AssertionError(f"payment {payment.id} added twice")
        holder = self.phone_holder(payment.phone.msisdn)
        held_until = None if holder is None else holder.phone_held_until
        if payment.holds_phone() and held_until is not None and payment.created_at < held_until:
            raise PhoneHeldError(held_until)
        self._by_id[payment.id] = copy.deepcopy(payment)

    def phone_holder(self, msisdn: str) -> Payment | None:
        """The stored payment whose open prompt holds the phone (the latest to take it), if any."""
        holders = [p for p in self._by_id.values() if p.phone.msisdn == msisdn and p.holds_phone()]
        return max(holders, key=lambda p: p.phone_held_until or p.created_at, default=None)

    def store_goes_down_on_save(self) -> None:
        """From now on, saves fail as they would with MongoDB unreachable."""
        self._store_down_on_save = True

    async def save(self, payment: Payment) -> None:
        if self._store_down_on_save:
            raise StoreUnavailableError("the database cannot be reached")
        if payment.id not in self._by_id:
            raise AssertionError(f"payment {payment.id} saved before it was added")
        if self._concurrent_writes:
            self.write_behind_your_back(payment.id, self._concurrent_writes.popleft())
        stored = self._by_id[payment.id]
        if stored.version != payment.version:
            raise ConcurrentUpdateError(f"payment {payment.id} is at version {stored.version}, not {payment.version}")
        payment.version += 1
        self._by_id[payment.id] = copy.deepcopy(payment)

    async def by_checkout(self, subject: str, checkout: str) -> Payment | None:
        return self._first(lambda p: p.subject == subject and checkout in (p.checkout, p.id))

    async def by_callback_token(self, token: str) -> Payment | None:
        return self._first(lambda p: p.callback_token == token)

    async def due_for_check(self, now: datetime, limit: int) -> list[Payment]:
        await asyncio.sleep(0)
        due = [
            p for p in self._by_id.values() if p.queryable and p.next_check_at is not None and p.next_check_at <= now
        ]
        return [copy.deepcopy(p) for p in sorted(due, key=lambda p: (p.next_check_at, p.id))[:limit]]

    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[Payment]:
        await asyncio.sleep(0)
        return self._in_change_order([p for p in self._by_id.values() if p.subject == subject], after, limit)

    async def open_or_changed_after(self, subject: str, start: ResumeCursor, limit: int) -> list[Payment] | None:
        await asyncio.sleep(0)
        found = [
            copy.deepcopy(p)
            for p in self._by_id.values()
            if p.subject == subject and (p.status is PaymentStatus.PENDING or ResumeCursor.of(p) > start)
        ]
        return found if len(found) <= limit else None

    async def open_between(self, subject: str, after: ResumeCursor, until: ResumeCursor, limit: int) -> list[Payment]:
        await asyncio.sleep(0)
        still_open = [
            p
            for p in self._by_id.values()
            if p.subject == subject and p.status is PaymentStatus.PENDING and ResumeCursor.of(p) <= until
        ]
        return self._in_change_order(still_open, after, limit)

    @staticmethod
    def _in_change_order(found: list[Payment], after: ResumeCursor, limit: int) -> list[Payment]:
        placed = sorted((p for p in found if ResumeCursor.of(p) > after), key=ResumeCursor.of)
        return [copy.deepcopy(p) for p in placed[:limit]]

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
    """Records each STK push and query; answers pushes from a script, else accepts with fresh ids, and queries
    from a script per CheckoutRequestID, else "still being processed"."""

    def __init__(self, during_request: Callable[[StkPushRequest], Awaitable[None]] | None = None) -> None:
        self.requests: list[StkPushRequest] = []
        self.queries: list[str] = []
        # Runs while a query is at Daraja, e.g. a callback that lands meanwhile.
        self.during_query: Callable[[str], None] | None = None
        self._query_script: dict[str, deque[StkQueryAnswer | Exception]] = {}
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

    def will_answer_query(self, checkout: str, *answers: StkQueryAnswer | Exception) -> None:
        """The next queries for `checkout` get these answers (or raise these errors), in order."""
        self._query_script.setdefault(checkout, deque()).extend(answers)

    async def query_stk(self, checkout: str) -> StkQueryAnswer:
        self.queries.append(checkout)
        # A query is a network round trip: other reconcilers run in between.
        await asyncio.sleep(0)
        if self.during_query is not None:
            self.during_query(checkout)
        script = self._query_script.get(checkout)
        answer = script.popleft() if script else StkQueryAnswer.pending_for(checkout)
        if isinstance(answer, Exception):
            raise answer
        return answer


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


class FakeWithdrawalRepository:
    """Withdrawals by id, the B2C queue; handed out and stored as copies so only `save`/`claim_next` change them.

    Each method first yields to the event loop, so concurrent workers interleave between calls as they would over
    a network, while each call itself stays one atomic step as a conditional update in the store is.
    """

    def __init__(self, *withdrawals: Withdrawal) -> None:
        self._by_id: dict[str, Withdrawal] = {w.id: copy.deepcopy(w) for w in withdrawals}
        self._concurrent_writes: deque[Callable[[Withdrawal], None]] = deque()

    async def add(self, withdrawal: Withdrawal) -> None:
        await asyncio.sleep(0)
        if withdrawal.id in self._by_id:
            raise AssertionError(f"withdrawal {withdrawal.id} added twice")
        self._by_id[withdrawal.id] = copy.deepcopy(withdrawal)

    async def save(self, withdrawal: Withdrawal) -> None:
        await asyncio.sleep(0)
        if withdrawal.id not in self._by_id:
            raise AssertionError(f"withdrawal {withdrawal.id} saved before it was added")
        if self._concurrent_writes:
            self.write_behind_your_back(withdrawal.id, self._concurrent_writes.popleft())
        stored = self._by_id[withdrawal.id]
        if stored.version != withdrawal.version:
            raise ConcurrentUpdateError(
                f"withdrawal {withdrawal.id} is at version {stored.version}, not {withdrawal.version}"
            )
        withdrawal.version += 1
        self._by_id[withdrawal.id] = copy.deepcopy(withdrawal)

    async def by_id(self, subject: str, withdrawal_id: str) -> Withdrawal | None:
        await asyncio.sleep(0)
        return self._first(lambda w: w.subject == subject and w.id == withdrawal_id)

    async def by_callback_token(self, token: str) -> Withdrawal | None:
        await asyncio.sleep(0)
        return self._first(lambda w: w.callback_token == token)

    async def by_status_query(self, token_digest: str) -> Withdrawal | None:
        await asyncio.sleep(0)
        return self._first(lambda w: w.status_query is not None and w.status_query.token_digest == token_digest)

    async def claim_next(
        self,
        worker: str,
        now: datetime,
        lease_until: datetime,
        prepare: Callable[[Withdrawal], None] | None = None,
    ) -> Withdrawal | None:
        await asyncio.sleep(0)
        claimable = [
            w
            for w in self._by_id.values()
            if w.status is WithdrawalStatus.QUEUED and (w.lease_expires_at is None or w.lease_expires_at < now)
        ]
        for candidate in sorted(claimable, key=lambda w: (w.created_at, w.id)):
            leased = copy.deepcopy(candidate)
            leased.lease_owner, leased.lease_expires_at = worker, lease_until
            if prepare is not None:
                try:
                    prepare(leased)
                except DomainError:
                    continue
            if self._concurrent_writes:
                self.write_behind_your_back(leased.id, self._concurrent_writes.popleft())
            if self._by_id[leased.id].version != leased.version:
                continue  # another writer got there between the read and this claim's conditional write
            leased.version += 1
            self._by_id[leased.id] = copy.deepcopy(leased)
            return leased
        return None

    async def due_for_check(self, now: datetime, limit: int) -> list[Withdrawal]:
        await asyncio.sleep(0)
        due = [
            w
            for w in self._by_id.values()
            if w.awaiting_reconciliation and w.next_check_at is not None and w.next_check_at <= now
        ]
        return [copy.deepcopy(w) for w in sorted(due, key=lambda w: (w.next_check_at, w.id))[:limit]]

    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[Withdrawal]:
        await asyncio.sleep(0)
        return self._in_change_order([w for w in self._by_id.values() if w.subject == subject], after, limit)

    async def open_or_changed_after(self, subject: str, start: ResumeCursor, limit: int) -> list[Withdrawal] | None:
        await asyncio.sleep(0)
        found = [
            copy.deepcopy(w)
            for w in self._by_id.values()
            if w.subject == subject and (not w.status.is_final or ResumeCursor.of(w) > start)
        ]
        return found if len(found) <= limit else None

    async def open_between(
        self, subject: str, after: ResumeCursor, until: ResumeCursor, limit: int
    ) -> list[Withdrawal]:
        await asyncio.sleep(0)
        still_open = [
            w
            for w in self._by_id.values()
            if w.subject == subject and not w.status.is_final and ResumeCursor.of(w) <= until
        ]
        return self._in_change_order(still_open, after, limit)

    @staticmethod
    def _in_change_order(found: list[Withdrawal], after: ResumeCursor, limit: int) -> list[Withdrawal]:
        placed = sorted((w for w in found if ResumeCursor.of(w) > after), key=ResumeCursor.of)
        return [copy.deepcopy(w) for w in placed[:limit]]

    def get(self, withdrawal_id: str) -> Withdrawal:
        """The stored state, as a copy, for assertions."""
        return copy.deepcopy(self._by_id[withdrawal_id])

    def all(self) -> list[Withdrawal]:
        return [copy.deepcopy(w) for w in self._by_id.values()]

    def write_behind_your_back(self, withdrawal_id: str, change: Callable[[Withdrawal], None] = lambda _: None) -> None:
        """Another writer changes the stored withdrawal now, bumping its version."""
        stored = self._by_id[withdrawal_id]
        change(stored)
        stored.version += 1

    def interleave_write(self, change: Callable[[Withdrawal], None] = lambda _: None) -> None:
        """Another writer changes the withdrawal just before the next save or claim lands (after its read)."""
        self._concurrent_writes.append(change)

    def _first(self, matches: Callable[[Withdrawal], bool]) -> Withdrawal | None:
        found = next((w for w in self._by_id.values() if matches(w)), None)
        return copy.deepcopy(found) if found is not None else None


class FakePayoutProvider:
    """Records each B2C request; answers from a script, else accepts with a fresh ConversationID."""

    def __init__(self, during_request: Callable[[B2cRequest], Awaitable[None]] | None = None) -> None:
        self.requests: list[B2cRequest] = []
        # Each Transaction Status query M-PESA accepted.
        self.status_requests: list[StatusQueryRequest] = []
        self._status_script: deque[Exception | None] = deque()
        self._script: deque[str | Exception] = deque()
        self._serial = count(1)
        self._during_request = during_request

    def will_accept(self, conversation_id: str) -> None:
        self._script.append(conversation_id)

    def will_raise(self, error: Exception) -> None:
        self._script.append(error)

    async def send_b2c(self, request: B2cRequest) -> B2cAccepted:
        self.requests.append(request)
        if self._during_request is not None:
            await self._during_request(request)
        await asyncio.sleep(0)
        answer = self._script.popleft() if self._script else f"AG_20250314_{next(self._serial):020x}"
        if isinstance(answer, Exception):
            raise answer
        return B2cAccepted(answer, request.originator_conversation_id)

    def sent_ids(self) -> list[str]:
        return [r.originator_conversation_id for r in self.requests]

    def status_query_raises(self, *errors: Exception | None) -> None:
        """The next Transaction Status queries raise these errors, in order (None: accepted)."""
        self._status_script.extend(errors)

    async def request_transaction_status(self, query: StatusQueryRequest) -> None:
        await asyncio.sleep(0)
        error = self._status_script.popleft() if self._status_script else None
        if error is not None:
            raise error
        self.status_requests.append(query)

    def status_queried_ids(self) -> list[str]:
        return [query.originator_conversation_id for query in self.status_requests]


class FakeDailyAllowance:
    """Shillings reserved per (hash, Nairobi day); never below nothing."""

    def __init__(self) -> None:
        self.totals: dict[tuple[str, str], int] = {}

    async def reserve(self, subject: str, day: str, amount: int, limit: int) -> bool:
        total = self.totals.get((subject, day), 0)
        if total + amount > limit:
            return False
        self.totals[(subject, day)] = total + amount
        return True

    async def release(self, subject: str, day: str, amount: int) -> None:
        total = self.totals.get((subject, day), 0)
        if amount > total:
            raise AssertionError(f"released {amount} of {subject} on {day}, but only {total} is reserved")
        self.totals[(subject, day)] = total - amount

    def reserved(self, subject: str, day: str) -> int:
        return self.totals.get((subject, day), 0)


class FakeIdempotencyKeys:
    """Keys held per (scope, hash, key) for 24 hours; each claim first yields, then checks and takes in one step."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str, str], IdempotencyClaim] = {}

    async def claim(
        self, scope: str, subject: str, key: str, fingerprint: str, resource_id: str, now: datetime
    ) -> IdempotencyClaim:
        await asyncio.sleep(0)
        holder = self.held.get((scope, subject, key))
        if holder is not None and now < holder.claimed_at + IDEMPOTENCY_WINDOW:
            return replace(holder, new=False)
        self.held[(scope, subject, key)] = IdempotencyClaim(resource_id, fingerprint, now, new=True)
        return self.held[(scope, subject, key)]

    async def release(self, scope: str, subject: str, key: str, resource_id: str) -> None:
        await asyncio.sleep(0)
        holder = self.held.get((scope, subject, key))
        if holder is not None and holder.resource_id == resource_id:
            del self.held[(scope, subject, key)]

    def holder(self, scope: str, subject: str, key: str) -> str | None:
        """The resource id holding the key, for assertions."""
        holder = self.held.get((scope, subject, key))
        return None if holder is None else holder.resource_id


class FakeCallbackJournal:
    """Callbacks as received, in arrival order; each gets the next journal id."""

    def __init__(self) -> None:
        self.entries: list[ReceivedCallback] = []
        self.digests: list[CallbackDigest] = []
        self._store_down, self._ids = False, 0

    def store_goes_down(self) -> None:
        self._store_down = True

    def new_id(self) -> str:
        self._ids += 1
        return f"journal-{self._ids}"

    async def record(self, callback: ReceivedCallback, journal_id: str | None = None) -> str:
        if self._store_down:
            raise StoreUnavailableError("the database cannot be reached")
        self.entries.append(callback)
        return journal_id or self.new_id()

    async def record_digest(self, digest: CallbackDigest, journal_id: str) -> str:
        if self._store_down:
            raise StoreUnavailableError("the database cannot be reached")
        self.digests.append(digest)
        return journal_id


class FakeAnomalies:
    """Anomalies in the order recorded."""

    def __init__(self) -> None:
        self.recorded: list[Anomaly] = []

    async def record(self, anomaly: Anomaly) -> None:
        self.recorded.append(anomaly)

    async def recent(self, limit: int, kind: AnomalyKind | None = None) -> list[Anomaly]:
        kept = [anomaly for anomaly in reversed(self.recorded) if kind is None or anomaly.kind is kind]
        return kept[:limit]

    def kinds(self) -> list[AnomalyKind]:
        return [anomaly.kind for anomaly in self.recorded]


class FakeStuckRecords:
    """Records not final; answers those unchanged since before the cutoff, longest unchanged first."""

    def __init__(self, *records: StuckRecord) -> None:
        self.records = list(records)

    async def updated_before(self, cutoff: datetime, limit: int) -> list[StuckRecord]:
        return sorted((r for r in self.records if r.updated_at < cutoff), key=lambda r: r.updated_at)[:limit]


class FixedRandom:
    """A RandomSource that always draws the same point of the range: 0.5 is its middle (no jitter), 0 and 1 its ends."""

    def __init__(self, fraction: float = 0.5) -> None:
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


class FakeRateLimiter:
    """Fixed windows in memory, as the Mongo adapter keeps them; `uses` records every key counted."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self.uses: list[str] = []

    async def try_acquire(self, key: str, limit: int, window: timedelta, now: datetime) -> timedelta | None:
        length = window.total_seconds()
        started = int(now.timestamp() // length * length)
        self.uses.append(key)
        self._counts[key, started] = self._counts.get((key, started), 0) + 1
        if self._counts[key, started] <= limit:
            return None
        return datetime.fromtimestamp(started, UTC) + window - now

    async def give_back(self, key: str, window: timedelta, now: datetime) -> None:
        length = window.total_seconds()
        started = int(now.timestamp() // length * length)
        if self._counts.get((key, started), 0) > 0:
            self._counts[key, started] -= 1

    async def forget(self, key_prefix: str) -> None:
        self._counts = {counted: n for counted, n in self._counts.items() if not counted[0].startswith(key_prefix)}


class FakeApiKeys:
    """API keys by id, stored as copies; `save` is conditional on the version, as in the store."""

    def __init__(self) -> None:
        self._by_id: dict[str, ApiKey] = {}

    async def add(self, key: ApiKey) -> None:
        if key.key_id in self._by_id:
            raise AssertionError(f"API key {key.key_id} exists")
        self._by_id[key.key_id] = copy.deepcopy(key)

    async def by_id(self, key_id: str) -> ApiKey | None:
        found = self._by_id.get(key_id)
        return copy.deepcopy(found) if found is not None else None

    async def all(self) -> list[ApiKey]:
        return [copy.deepcopy(key) for key in sorted(self._by_id.values(), key=lambda k: (k.created_at, k.key_id))]

    async def save(self, key: ApiKey) -> None:
        stored = self._by_id.get(key.key_id)
        if stored is None or stored.version != key.version:
            raise ConcurrentUpdateError(f"API key {key.key_id} changed")
        key.version += 1
        self._by_id[key.key_id] = copy.deepcopy(key)

    def get(self, key_id: str) -> ApiKey:
        return copy.deepcopy(self._by_id[key_id])


class SequentialKeyMaterial:
    def __init__(self) -> None:
        self._serial = count(1)

    def new_key_id(self) -> str:
        return f"{next(self._serial):016x}"

    def new_key_secret(self) -> str:
        return f"{next(self._serial):064x}"


class FakeRecordSearch:
    """Stored records of one kind, searched exactly as the port promises."""

    def __init__(self, kind: RecordKind, *records: Payment | Withdrawal) -> None:
        self._records = [ListedRecord(kind, copy.deepcopy(record)) for record in records]

    async def by_id(self, record_id: str) -> ListedRecord | None:
        return next((record for record in self._records if record.record.id == record_id), None)

    async def newest_first(self, where: RecordFilter, after: PagePosition | None, limit: int) -> list[ListedRecord]:
        admitted = [r for r in self._records if where.admits(r) and (after is None or r.position < after)]
        return sorted(admitted, key=lambda record: record.position, reverse=True)[:limit]
