"""The `since` query parameter of the socket endpoints: when the client last heard from the gateway."""

from datetime import UTC, datetime

from litestar import WebSocket

CLOSE_POLICY_VIOLATION = 1008


def parse_since(since: str | None) -> datetime | None:
    """An ISO 8601 time (UTC when it names no zone); ValueError for anything else."""
    if since is None:
        return None
    moment = datetime.fromisoformat(since)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def refuse_since(socket: WebSocket) -> None:
    await socket.accept()
    await socket.close(code=CLOSE_POLICY_VIOLATION, reason="since must be an ISO 8601 time")
