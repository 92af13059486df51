import structlog

from domain.c2b.ports import PaymentRequests
from domain.resume_cursor import BEGINNING, ResumeCursor
from domain.use_cases.catch_up import CaughtUp, SendUpdate

logger = structlog.get_logger()


class CatchUpOpenRequests:
    """What a till screen opening its socket needs first: the open payment requests of its hash as they stand now.

    Only open requests: a closed one has nothing left to pay, and its payments and close came as updates (and as
    events for the backend). No cursor: the state is re-read whole on each connection, so there is nothing to resume.
    """

    def __init__(self, requests: PaymentRequests, limit: int) -> None:
        self._requests, self._limit = requests, limit

    async def __call__(self, hash_: str, send: SendUpdate, cursor: ResumeCursor | None = None) -> CaughtUp:
        # One more than is sent tells whether some were left out.
        found = await self._requests.open_on(hash_, self._limit + 1)
        for request in found[: self._limit]:
            await send(request.view())
        if len(found) > self._limit:
            logger.warning("c2b_catch_up_capped", hash=hash_, sent=self._limit)
        # Always complete: a `caught_up` would hand out a cursor this socket cannot resume from.
        return CaughtUp(cursor or BEGINNING, min(len(found), self._limit), complete=True)
