"""A history entry as stored: an embedded subdocument of its payment or withdrawal, written with it in one replace."""

from datetime import datetime
from typing import Any

from odmantic import EmbeddedModel

from adapters.mongo.bson_time import as_utc
from domain.shared.status_change import ChangeCause, StatusChange


class StatusChangeDocument(EmbeddedModel):
    at: datetime
    status: str
    cause: str
    detail: str | None = None
    # The record's client view right after the change: what its event carries (absent from older documents).
    snapshot: dict[str, Any] | None = None


def to_history_documents(history: list[StatusChange]) -> list[StatusChangeDocument]:
    return [
        StatusChangeDocument(
            at=as_utc(c.at), status=c.status, cause=c.cause.value, detail=c.detail, snapshot=c.snapshot
        )
        for c in history
    ]


def history_documents(history: list[StatusChange]) -> list[dict[str, Any]]:
    """The entries as stored, in `StatusChangeDocument`'s shape, without building the model for each."""
    return [
        {"at": as_utc(c.at), "status": c.status, "cause": c.cause.value, "detail": c.detail, "snapshot": c.snapshot}
        for c in history
    ]


def to_history(documents: list[StatusChangeDocument]) -> list[StatusChange]:
    return [StatusChange(as_utc(d.at), d.status, ChangeCause(d.cause), d.detail, d.snapshot) for d in documents]


def history_from_stored(stored: list[dict[str, Any]]) -> list[StatusChange]:
    """History entries from raw subdocuments, as `to_history_documents` wrote them (no model built)."""
    return [
        StatusChange(as_utc(c["at"]), c["status"], ChangeCause(c["cause"]), c.get("detail"), c.get("snapshot"))
        for c in stored
    ]
