from collections.abc import Iterable

import structlog

from domain.errors import StoreUnavailableError
from domain.ports import CallbackJournal, Clock
from domain.received_callback import CallbackKind, ReceivedCallback

logger = structlog.get_logger()


class JournalCallback:
    """Keep a Daraja callback exactly as it arrived, before anything reads it; answer its journal id."""

    def __init__(self, journal: CallbackJournal, clock: Clock) -> None:
        self._journal, self._clock = journal, clock

    async def __call__(
        self,
        kind: CallbackKind,
        path_token: str,
        body: bytes,
        headers: Iterable[tuple[str, str]],
        source: str | None,
    ) -> str:
        callback = ReceivedCallback.arrived(kind, path_token, body, headers, source, self._clock.now())
        try:
            return await self._journal.record(callback)
        except StoreUnavailableError:
            # Daraja may never send this again: the log is the only copy left, for reconciliation by hand.
            logger.error(
                "callback_unrecorded",
                stage="journal",
                callback=callback.kind.value,
                path_token_hash=callback.path_token_hash,
                source=callback.source,
                received_at=callback.received_at.isoformat(),
                headers=[list(header) for header in callback.headers],
                body=callback.body.decode("utf-8", "backslashreplace"),
            )
            raise
