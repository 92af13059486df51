"""The event relay: turns the state changes records were written with into numbered events of the feed.

Why the feed is exact (`after=<seq>` misses nothing and repeats nothing):

- Written in the same step: a state change and the mark that it still has to be relayed (`events_pending`) are
  stored in one single-document write of the payment or withdrawal, so no change can be stored without its event
  eventually being relayed, and none is relayed that was not stored.
- Nothing twice: an event's id is derived from its record and its position in the record's history, and the
  feed has a unique index on it, so relaying a change again (after a crash, or by two relays at once) stores
  nothing new.
- Nothing skipped: a number is given only by inserting at the last stored number plus one, under a unique
  index on the number. An insert of n therefore happens only after n-1 was stored; a reader can still, in theory,
  see n before n-1 (its query may pass the place of n-1 a moment before n-1 is committed), so the feed returns
  events only up to the first missing number: with dense numbers a gap means "not visible yet", never "lost".
- In order: the relay takes each record's history oldest first and inserts its events in that order (a batch is
  one ordered insert, stopping at the first refused number), so a record's events are numbered in the order they
  happened. One relay runs at a time (a lease, like the B2C worker's);
  were two to run (a lease taken over from a stalled holder), the unique indexes keep the feed exact.

What a look costs: one find per kind of record it looks at. A look this process woke by writing looks only at the
kinds it wrote since the last look; every other look (the idle poll, a look after a full batch) and at least one
look every `full_look_every` look at every kind, so records written by other instances, or left pending by a
crash, wait no longer than that.
"""

from datetime import datetime, timedelta

import structlog

from domain.events.event import events_of
from domain.events.ports import EventLog, EventOutbox
from domain.shared.ports import Clock, Leases

logger = structlog.get_logger()

RELAY_LEASE = "event-relay"
# Records relayed per look; a look that found fewer has emptied the outbox (as far as that look could see).
RELAY_BATCH = 100
# How long a woken relay lets a burst of writes gather before it looks: under load one look (a find, an insert of
# the events, a bulk mark) serves many payments, for this much more delay on the feed and webhooks (never on the
# sockets, which get each change as it is stored).
RELAY_GATHER_SECONDS = 0.05


class RelayEvents:
    def __init__(
        self,
        outbox: EventOutbox,
        events: EventLog,
        leases: Leases,
        clock: Clock,
        owner: str,
        lease_seconds: float,
        full_look_every: timedelta = timedelta(seconds=10),
    ) -> None:
        self._outbox, self._events, self._leases, self._clock = outbox, events, leases, clock
        self._owner, self._lease = owner, timedelta(seconds=lease_seconds)
        self._full_look_every = full_look_every
        self._written: set[str] = set()
        self._unknown_written = False
        self._last_full_look: datetime | None = None

    def note_written(self, record_kinds: frozenset[str] | None) -> None:
        """This process just wrote a record of one of `record_kinds` (None: of a kind it cannot name): the next
        look covers them."""
        if record_kinds is None:
            self._unknown_written = True
        else:
            self._written |= record_kinds

    async def __call__(self, limit: int = RELAY_BATCH) -> int:
        """Relay up to `limit` records; how many were looked at (0 when none was waiting, or another relay runs)."""
        now = self._clock.now()
        if not await self._leases.acquire(RELAY_LEASE, self._owner, now, now + self._lease):
            return 0
        records = await self._outbox.pending(limit, self._kinds_to_look_at(now))
        if not records:
            return 0
        # Every record's events oldest first, records in the outbox's order: numbered in one batch (one insert
        # where no other relay gets in between), then every record marked in one batch.
        events = [
            event
            for record in records
            for event in events_of(record.record_kind, record.record_id, record.history, record.current_view)
        ]
        added = await self._events.append_all(events)
        await self._outbox.mark_all_relayed(records)
        if added:
            logger.debug("events_relayed", records=len(records), added=added)
        return len(records)

    def _kinds_to_look_at(self, now: datetime) -> frozenset[str] | None:
        # Taken before the find: a write noted while it runs is covered by the next look, which its wake-up starts.
        written, self._written = frozenset(self._written), set()
        unknown, self._unknown_written = self._unknown_written, False
        full_look_due = self._last_full_look is None or now - self._last_full_look >= self._full_look_every
        if unknown or not written or full_look_due:
            self._last_full_look = now
            return None
        return written

    async def step_down(self) -> None:
        """Give the relay lease up (at shutdown), so another instance takes over at once rather than at its expiry."""
        await self._leases.release(RELAY_LEASE, self._owner)
