"""A history entry as stored: an embedded subdocument of its payment or withdrawal, written with it in one replace."""

from datetime import UTC, datetime

from odmantic import EmbeddedModel

from domain.status_change import ChangeCause, StatusChange


class StatusChangeDocument(EmbeddedModel):
    at: datetime
    status: str
    cause: str
    detail: str | None = None


def to_history_documents(history: list[StatusChange]) -> list[StatusChangeDocument]:
    return [StatusChangeDocument(at=_utc(c.at), status=c.status, cause=c.cause.value, detail=c.detail) for c in history]


def to_history(documents: list[StatusChangeDocument]) -> list[StatusChange]:
    return [StatusChange(_utc(d.at), d.status, ChangeCause(d.cause), d.detail) for d in documents]


def _utc(moment: datetime) -> datetime:
    """BSON dates are UTC; a naive time is taken as UTC, as a client without tz_aware hands them back."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
