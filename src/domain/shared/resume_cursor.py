"""A place in the order of a subject's changes, from which a client resumes without losing or repeating one.

Changes are ordered by (the millisecond of the record's `updated_at`, the record's id): a pair no two records
share, compared as an integer and a string, which every store keeps exactly (the embedded store compares dates only
to the whole second, so a date alone ties). A record's place moves with each change to it.
"""

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, Self

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
# Fixed width, so that of two cursors the later is also the greater string.
_MS_DIGITS = 15
_FORM = re.compile(rf"(\d{{{_MS_DIGITS}}})-([0-9A-Za-z_]{{0,64}})")


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since 1970 (UTC), cut as BSON cuts a date; integer arithmetic, so never off by one."""
    return (moment - _EPOCH) // _MILLISECOND


def from_epoch_ms(milliseconds: int) -> datetime:
    """The moment `epoch_ms` gave `milliseconds` for (to the millisecond)."""
    return _EPOCH + milliseconds * _MILLISECOND


class Positioned(Protocol):
    """A payment or withdrawal: its id and its last change's time place it."""

    @property
    def id(self) -> str: ...

    @property
    def updated_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True, order=True)
class ResumeCursor:
    """Changes after it are those with a greater (`updated_ms`, `record_id`); `record_id` "" comes before every
    record of its millisecond."""

    updated_ms: int
    record_id: str = ""

    @classmethod
    def before(cls, moment: datetime) -> Self:
        """Before every change at `moment`'s millisecond and after: the change at that very millisecond included."""
        return cls(epoch_ms(moment))

    @classmethod
    def of(cls, record: Positioned) -> Self:
        """The place of the record's last change."""
        return cls(epoch_ms(record.updated_at), record.id)

    @classmethod
    def parse(cls, text: str) -> Self:
        """A cursor from its `encode`d form; ValueError for anything else."""
        matched = _FORM.fullmatch(text)
        if matched is None:
            raise ValueError(f"not a resume cursor: {text[:80]!r}")
        return cls(int(matched[1]), matched[2])

    def encode(self) -> str:
        """The opaque form clients hold and send back as `after`."""
        return f"{self.updated_ms:0{_MS_DIGITS}d}-{self.record_id}"


BEGINNING = ResumeCursor(0)


# What a catch-up sends each update through (a socket's send), and how a catch-up ended: shared by every
# capability's catch-up (records' for payments and withdrawals, c2b's for open payment requests).
SendUpdate = Callable[[Mapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """How a catch-up ended: resuming `after` `cursor` sends what came after it (nothing it sent is lost, some may
    come again); `complete` is False when it stopped at CATCH_UP_MAX_UPDATES with more to send."""

    cursor: ResumeCursor
    updates: int
    complete: bool
