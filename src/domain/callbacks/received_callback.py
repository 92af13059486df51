"""A Daraja callback exactly as it arrived, before anything reads it: the unit of the audit trail."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Credentials a caller may send: an operator-visible store must never show them.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
# An address is at most 45 characters; a sender named by a proxy's X-Forwarded-For may be any text.
_SOURCE_CHARACTERS = 64


class CallbackKind(StrEnum):
    """Which of Daraja's URLs the callback came to."""

    STK = "stk"
    B2C_RESULT = "b2c_result"
    B2C_TIMEOUT = "b2c_timeout"
    B2C_STATUS = "b2c_status"
    BALANCE_RESULT = "balance_result"
    BALANCE_TIMEOUT = "balance_timeout"
    REVERSAL_RESULT = "reversal_result"
    REVERSAL_TIMEOUT = "reversal_timeout"
    REVERSAL_STATUS = "reversal_status"


def token_digest(token: str) -> str:
    """SHA-256 of a callback URL's secret token: names the URL in the journal and the logs without revealing it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class ReceivedCallback:
    """The raw body and headers (in order, repeats kept, credentials left out), who sent them and when."""

    kind: CallbackKind
    path_token_hash: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    source: str | None
    received_at: datetime

    @classmethod
    def arrived(
        cls,
        kind: CallbackKind,
        path_token: str,
        body: bytes,
        headers: Iterable[tuple[str, str]],
        source: str | None,
        received_at: datetime,
    ) -> "ReceivedCallback":
        kept = tuple((name, value) for name, value in headers if name.lower() not in _SECRET_HEADERS)
        return cls(kind, token_digest(path_token), body, kept, source, received_at)


class DigestReason(StrEnum):
    """Why a callback was kept only as a digest, not in full."""

    SENDER_REFUSED = "sender_refused"  # from an address the enforcing sender check refused
    UNKNOWN_TOKEN = "unknown_token"  # noqa: S105 (a reason, no secret): its URL token names no record


@dataclass(frozen=True, slots=True)
class CallbackDigest:
    """What is kept of a callback that may not fill the store: a few fixed-size fields, whatever the request held.

    The body's SHA-256 and size let an operator match it against a copy (a sender's own log) without storing it.
    """

    kind: CallbackKind
    path_token_hash: str
    body_sha256: str
    body_size: int
    source: str | None
    received_at: datetime
    reason: DigestReason

    @classmethod
    def of(
        cls,
        kind: CallbackKind,
        path_token: str,
        body: bytes,
        source: str | None,
        received_at: datetime,
        reason: DigestReason,
    ) -> "CallbackDigest":
        body_sha256 = hashlib.sha256(body).hexdigest()
        kept_source = None if source is None else source[:_SOURCE_CHARACTERS]
        return cls(kind, token_digest(path_token), body_sha256, len(body), kept_source, received_at, reason)


@dataclass(frozen=True, slots=True)
class AppliedCallback:
    """The callback that applied to a record, kept in that record by the very conditional write that applied it.

    It is no journal entry: the journal keeps every other callback. `journal_id` is the id the callback was known by
    from its arrival (the anomalies and the log lines name it), so the two halves of the audit trail share one key.
    """

    journal_id: str
    callback: ReceivedCallback


class CallbackInHand:
    """A callback on its way to the record its token names. The use case that applies it puts it into the record
    (`fold_into`), and says so (`kept_with_record`) once the write has succeeded; otherwise it goes to the journal."""

    __slots__ = ("callback", "journal_id", "kept_with_record")

    def __init__(self, journal_id: str, callback: ReceivedCallback) -> None:
        self.journal_id, self.callback = journal_id, callback
        self.kept_with_record = False

    def fold_into(self, kept: AppliedCallback | None) -> AppliedCallback | None:
        """What the record keeps as its applied callback: the one it has already (a record keeps its first), else
        this one."""
        return kept if kept is not None else AppliedCallback(self.journal_id, self.callback)

    def folded(self, kept: AppliedCallback | None) -> bool:
        """Whether `kept` (the record's applied callback as just written) is this callback."""
        return kept is not None and kept.journal_id == self.journal_id
