"""A history entry as stored: an embedded subdocument of its payment or withdrawal, written with it in one replace."""

from datetime import datetime
from typing import Any

from odmantic import EmbeddedModel

from adapters.mongo.bson_time import as_utc, stored_time
from domain.shared.status_change import ChangeCause, StatusChange


class StatusChangeDocument(EmbeddedModel):
    at: datetime
    status: str
    cause: str
    detail: str | None = None
    # The record's client view right after the change: what its event carries (absent from older documents).
    snapshot: dict[str, Any] | None = None


def history_documents(history: list[StatusChange]) -> list[dict[str, Any]]:
    """The entries as stored, in `StatusChangeDocument`'s shape, without building the model for each."""
    return [
        {
            "at": stored_time(c.at),
            "status": c.status,
            "cause": c.cause.value,
            "detail": c.detail,
            "snapshot": c.snapshot,
        }
        for c in history
    ]


def history_from_stored(stored: list[dict[str, Any]]) -> list[StatusChange]:
    """History entries from raw subdocuments, as `history_documents` wrote them (no model built)."""
    return [
        StatusChange(as_utc(c["at"]), c["status"], ChangeCause(c["cause"]), c.get("detail"), c.get("snapshot"))
        for c in stored
    ]
