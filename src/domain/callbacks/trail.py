"""Every callback that came for one record, in arrival order: the audit trail an operator reads.

Two places hold it: the record keeps the callback that applied to it (written by the write that applied it), and
the append-only journal keeps every other one (repeats, disagreements, refusals, bodies that could not be read, and
any that arrived while the store could not take the record's write). A trail is the two merged, nothing left out.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.callbacks.received_callback import CallbackDigest, ReceivedCallback


class KeptIn(StrEnum):
    """Where a callback of the trail is stored."""

    RECORD = "record"  # the record's applied callback
    JOURNAL = "journal"  # an entry of the append-only journal


@dataclass(frozen=True, slots=True)
class TrailEntry:
    """One callback as stored: in full (`callback`) or, for one that could not be trusted with the store, only its
    digest (`digest`); exactly one of the two is set."""

    journal_id: str
    kept_in: KeptIn
    callback: ReceivedCallback | None = None
    digest: CallbackDigest | None = None

    @property
    def received_at(self) -> datetime:
        kept = self.callback if self.callback is not None else self.digest
        assert kept is not None
        return kept.received_at

    def view(self) -> dict[str, Any]:
        """As an operator sees it: the body as text (bytes that are not UTF-8 escaped), its SHA-256 and size."""
        common = {"journal_id": self.journal_id, "kept_in": self.kept_in.value}
        if self.callback is not None:
            callback = self.callback
            return {
                **common,
                "kind": callback.kind.value,
                "received_at": callback.received_at.isoformat(),
                "source": callback.source,
                "headers": [[name, value] for name, value in callback.headers],
                "body": callback.body.decode("utf-8", "backslashreplace"),
                "body_sha256": hashlib.sha256(callback.body).hexdigest(),
                "body_size": len(callback.body),
                "digest_reason": None,
            }
        assert self.digest is not None
        digest = self.digest
        return {
            **common,
            "kind": digest.kind.value,
            "received_at": digest.received_at.isoformat(),
            "source": digest.source,
            "headers": None,
            "body": None,
            "body_sha256": digest.body_sha256,
            "body_size": digest.body_size,
            "digest_reason": digest.reason.value,
        }


def in_arrival_order(entries: list[TrailEntry]) -> list[TrailEntry]:
    """Oldest first; the journal id (made at arrival, in order within a process) breaks a tie of the same instant."""
    return sorted(entries, key=lambda entry: (entry.received_at, entry.journal_id))
