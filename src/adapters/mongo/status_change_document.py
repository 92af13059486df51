"""A history entry as stored: an embedded subdocument of its payment or withdrawal, written with it in one replace."""

from datetime import datetime

from odmantic import EmbeddedModel

from adapters.mongo.bson_time import as_utc
from domain.status_change import ChangeCause, StatusChange


class StatusChangeDocument(EmbeddedModel):
    at: datetime
    status: str
    cause: str
    detail: str | None = None


def to_history_documents(history: list[StatusChange]) -> list[StatusChangeDocument]:
    return [
        StatusChangeDocument(at=as_utc(c.at), status=c.status, cause=c.cause.value, detail=c.detail) for c in history
    ]


def to_history(documents: list[StatusChangeDocument]) -> list[StatusChange]:
    return [StatusChange(as_utc(d.at), d.status, ChangeCause(d.cause), d.detail) for d in documents]
