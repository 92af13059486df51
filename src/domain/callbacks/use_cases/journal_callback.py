from collections.abc import Iterable
from datetime import datetime

import structlog

from domain.callbacks.ports import CallbackJournal
from domain.callbacks.received_callback import (
    CallbackDigest,
    CallbackInHand,
    CallbackKind,
    DigestReason,
    ReceivedCallback,
)
from domain.shared.errors import StoreUnavailableError
from domain.shared.ports import Clock

logger = structlog.get_logger()

# Digests stored per process and minute at most. A flood from anywhere, with no credentials, then costs the store a
# bounded ~40 KB a minute (each digest is some 300 bytes); past the budget a refused callback is only counted (in
# the metrics) and logged. Daraja itself sends none of these unless a token or the sender allow-list is wrong.
DIGESTS_PER_MINUTE = 120


class DigestBudget:
    """How many digests this process may still store this minute (one shared instance per process)."""

    def __init__(self, per_minute: int = DIGESTS_PER_MINUTE) -> None:
        self._per_minute, self._used = per_minute, 0
        self._minute: datetime | None = None

    def take(self, now: datetime) -> bool:
        minute = now.replace(second=0, microsecond=0)
        if minute != self._minute:
            self._minute, self._used = minute, 0
        if self._used >= self._per_minute:
            return False
        self._used += 1
        return True


class JournalCallback:
    """Keep a Daraja callback exactly as it arrived (`__call__`), or only its digest (`digest`); answer its id.

    Which of the two is the caller's choice: in full only a callback from an admitted sender to a URL whose token
    names a record, so that no one without a token can write more than a digest into the store.
    """

    def __init__(self, journal: CallbackJournal, clock: Clock, budget: DigestBudget | None = None) -> None:
        self._journal, self._clock = journal, clock
        self._budget = budget if budget is not None else DigestBudget()

    def new_id(self) -> str:
        """The id the callback will be journaled under, known before anything is written (no store command)."""
        return self._journal.new_id()

    async def __call__(
        self,
        kind: CallbackKind,
        path_token: str,
        body: bytes,
        headers: Iterable[tuple[str, str]],
        source: str | None,
        journal_id: str | None = None,
    ) -> str:
        callback = ReceivedCallback.arrived(kind, path_token, body, headers, source, self._clock.now())
        return await self.record(callback, journal_id)

    def in_hand(
        self,
        kind: CallbackKind,
        path_token: str,
        body: bytes,
        headers: Iterable[tuple[str, str]],
        source: str | None,
        journal_id: str,
    ) -> CallbackInHand:
        """The callback as received, now, under `journal_id`: for the use case that applies it to keep in its record,
        or else for `record` (no store command either way)."""
        return CallbackInHand(
            journal_id, ReceivedCallback.arrived(kind, path_token, body, headers, source, self._clock.now())
        )

    async def record(self, callback: ReceivedCallback, journal_id: str | None = None) -> str:
        """Journal a callback already received (`in_hand`'s, when its record did not keep it)."""
        try:
            return await self._journal.record(callback, journal_id)
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

    async def digest(
        self,
        kind: CallbackKind,
        path_token: str,
        body: bytes,
        source: str | None,
        reason: DigestReason,
        journal_id: str,
    ) -> bool:
        """Store the callback's digest if this minute's budget allows; False when it was only logged."""
        now = self._clock.now()
        digest = CallbackDigest.of(kind, path_token, body, source, now, reason)
        stored = self._budget.take(now)
        if stored:
            try:
                await self._journal.record_digest(digest, journal_id)
            except StoreUnavailableError:
                stored = False
        if not stored:
            logger.warning(
                "callback_digest_unrecorded",
                callback=digest.kind.value,
                reason=digest.reason.value,
                path_token_hash=digest.path_token_hash,
                body_sha256=digest.body_sha256,
                body_size=digest.body_size,
                source=digest.source,
            )
        return stored
