"""Where a (re)connecting client resumes: the `after` and `since` query parameters of the socket endpoints."""

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.shared.resume_cursor import ResumeCursor
from entrypoints.ws.client_connection import ClientConnection

CLOSE_POLICY_VIOLATION = 1008
SINCE_REFUSED = "since must be an ISO 8601 time"
AFTER_REFUSED = "after must be a cursor from a caught_up message"
BOTH_REFUSED = "give after or since, not both"


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """`after`: the cursor of the client's last `caught_up` (present but empty on its first connection: it is
    still sent `caught_up`); `since`: the `updated_at` of the last update it saw (the older way, without a cursor)."""

    after: ResumeCursor | None = None
    since: datetime | None = None
    wants_cursor: bool = False


class ResumePointError(ValueError):
    """A query parameter that names no place to resume from; its message is the close reason."""


def parse_resume_point(after: str | None, since: str | None) -> ResumePoint:
    if after is not None and since is not None:
        raise ResumePointError(BOTH_REFUSED)
    if after is not None:
        try:
            return ResumePoint(after=ResumeCursor.parse(after) if after else None, wants_cursor=True)
        except ValueError:
            raise ResumePointError(AFTER_REFUSED) from None
    return ResumePoint(since=_parse_since(since))


def _parse_since(since: str | None) -> datetime | None:
    """An ISO 8601 time (UTC when it names no zone)."""
    if since is None:
        return None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise ResumePointError(SINCE_REFUSED) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def refuse_resume_point(socket: ClientConnection, error: ResumePointError) -> None:
    await socket.accept()
    await socket.close(code=CLOSE_POLICY_VIOLATION, reason=str(error))
