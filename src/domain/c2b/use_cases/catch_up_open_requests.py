from datetime import timedelta

import structlog

from domain.c2b.ports import PaymentRequests
from domain.shared.ports import Clock
from domain.shared.resume_cursor import CaughtUp, ResumeCursor, SendUpdate

logger = structlog.get_logger()

# A first connection's cursor starts this long before its catch-up, so a change stored by another instance a moment
# before (with its clock a little ahead) is sent again on resuming rather than missed; a repeat is told by `version`.
FIRST_CURSOR_MARGIN = timedelta(seconds=5)


class CatchUpOpenRequests:
    """What a till screen (re)connecting needs: on a first connection the open payment requests of its subject as they
    stand now; resuming after a cursor, every request of the subject changed since, open or closed (one paid while it
    was away included), oldest change first. At most `limit` either way; the cursor it ends on is sent in
    `caught_up` to a client that asks (`after`)."""

    def __init__(self, requests: PaymentRequests, limit: int, clock: Clock) -> None:
        self._requests, self._limit, self._clock = requests, limit, clock

    async def __call__(self, subject: str, send: SendUpdate, cursor: ResumeCursor | None = None) -> CaughtUp:
        if cursor is None:
            first = ResumeCursor.before(self._clock.now() - FIRST_CURSOR_MARGIN)
            # One more than is sent tells whether some were left out.
            found = await self._requests.open_on(subject, self._limit + 1)
            for request in found[: self._limit]:
                await send(request.view())
            if len(found) > self._limit:
                logger.warning("c2b_catch_up_capped", hash=subject, sent=self._limit)
            return CaughtUp(first, min(len(found), self._limit), complete=len(found) <= self._limit)
        changed = await self._requests.changed_after(subject, cursor, self._limit + 1)
        sent = changed[: self._limit]
        for request in sent:
            await send(request.view())
        resume_after = ResumeCursor.of(sent[-1]) if sent else cursor
        return CaughtUp(resume_after, len(sent), complete=len(changed) <= self._limit)
