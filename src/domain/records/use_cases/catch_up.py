from datetime import datetime, timedelta

import structlog

from domain.records.ports import Missable, RecentChanges
from domain.shared.ports import Clock
from domain.shared.resume_cursor import BEGINNING, CaughtUp, ResumeCursor, SendUpdate
from domain.stk.payment import UNANSWERED_PUSH_AFTER, Payment

logger = structlog.get_logger()

# However long a client was away, a `since` catches it up on one day at most; older outcomes are read with
# `status`. A cursor (`after`) is honoured however old: CATCH_UP_MAX_UPDATES bounds the work instead.
LONGEST_ABSENCE = timedelta(hours=24)
# A change is stored a moment after its time was taken (and another instance's clock may run a little behind):
# one placed within this of the read may still be on its way, so the cursor handed back stays this far behind.
WRITES_LAND_WITHIN = timedelta(seconds=5)


class CatchUp:
    """What a (re)connecting client missed: every open record of its subject, then every one that changed after the
    point it resumes from (its cursor; else its `since`, ties included; else `window` ago), oldest change first,
    read `page_size` at a time until none is left or `max_updates` were sent. A payment is shown as of now: with
    its age, and as outcome unknown once no Daraja answer can still be on its way."""

    def __init__(
        self,
        records: RecentChanges,
        clock: Clock,
        window: timedelta,
        page_size: int,
        unanswered_after: timedelta = UNANSWERED_PUSH_AFTER,
        max_updates: int = 10_000,
        writes_land_within: timedelta = WRITES_LAND_WITHIN,
    ) -> None:
        self._records, self._clock, self._window, self._page_size = records, clock, window, max(page_size, 1)
        self._unanswered_after, self._max_updates = unanswered_after, max_updates
        self._writes_land_within = writes_land_within

    async def __call__(
        self,
        subject: str,
        send: SendUpdate,
        *,
        after: ResumeCursor | None = None,
        since: datetime | None = None,
    ) -> CaughtUp:
        now = self._clock.now()
        start = after if after is not None else ResumeCursor.before(self._start_time(now, since))
        sent = 0

        async def send_each(found: list[Missable]) -> None:
            nonlocal sent
            for record in found:
                view = record.view_as_of(now, self._unanswered_after) if isinstance(record, Payment) else record.view()
                await send(view)
                sent += 1

        # Most catch-ups are a few records: read them all at once, then send them in the order the paged reads
        # below would have (the open ones changed up to the start, then the changes after it, oldest first).
        snapshot = await self._records.open_or_changed_after(subject, start, self._page_left(sent))
        if snapshot is not None:
            placed = sorted(snapshot, key=ResumeCursor.of)
            changes = [record for record in placed if ResumeCursor.of(record) > start]
            await send_each([record for record in placed if ResumeCursor.of(record) <= start])
            await send_each(changes)
            reached = ResumeCursor.of(changes[-1]) if changes else start
            return CaughtUp(self._cursor(start, reached, now), sent, complete=True)
        # Open records changed before the start: the client has to see them still open.
        position = BEGINNING
        while sent < self._max_updates:
            asked = self._page_left(sent)
            page = list(await self._records.open_between(subject, position, start, asked))
            await send_each(page)
            if len(page) < asked:
                break
            position = ResumeCursor.of(page[-1])
        position = start
        while sent < self._max_updates:
            asked = self._page_left(sent)
            page = list(await self._records.changed_after(subject, position, asked))
            await send_each(page)
            if page:
                position = ResumeCursor.of(page[-1])
            if len(page) < asked:
                return CaughtUp(self._cursor(start, position, now), sent, complete=True)
        logger.warning("catch_up_cut_short", hash=subject, updates=sent, cursor=position.encode())
        return CaughtUp(self._cursor(start, position, now), sent, complete=False)

    def _start_time(self, now: datetime, since: datetime | None) -> datetime:
        return now - self._window if since is None else max(since, now - LONGEST_ABSENCE)

    def _page_left(self, sent: int) -> int:
        return min(self._page_size, self._max_updates - sent)

    def _cursor(self, start: ResumeCursor, reached: ResumeCursor, now: datetime) -> ResumeCursor:
        """Where the next catch-up may begin: the last record sent, but never within WRITES_LAND_WITHIN of the read
        (a change still on its way may be placed there), and never before where this one began."""
        settled = ResumeCursor.before(now - self._writes_land_within)
        return max(start, min(reached, settled))
