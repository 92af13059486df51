"""What one socket was last sent of each record, so that it is never sent an older state after a newer one.

Updates reach a socket by several roads: straight from this instance, relayed through Redis from another (held
back while Redis is away, then delivered late), and read from the store (the catch-up). Only the record's version
orders them: a stored change bumps it, and every update's `data` carries it.
"""

import msgspec

# Records remembered per socket: most sockets see one or two; past this the least recently updated is forgotten
# (an older state of it could then pass, the way it could before this existed). 32 ids and versions are ~4 KiB.
REMEMBERED_RECORDS = 32


class _Record(msgspec.Struct):
    id: str | None = None
    version: int | None = None


class _Update(msgspec.Struct):
    data: _Record | None = None


_read_update = msgspec.json.Decoder(_Update).decode


class SentVersions:
    """Record id → the last version sent, for the most recently updated `limit` records."""

    __slots__ = ("_latest", "_limit")

    def __init__(self, limit: int = REMEMBERED_RECORDS) -> None:
        self._latest: dict[str, int] = {}
        self._limit = limit

    def admit(self, frame: bytes) -> bool:
        """True for an update to send (and remember); False for a state of a record no newer than one sent.

        A frame naming no record and version (an older instance's, during a rolling upgrade) is always sent."""
        try:
            record = _read_update(frame).data
        except msgspec.DecodeError:
            return True
        if record is None or record.id is None or record.version is None:
            return True
        latest = self._latest
        sent = latest.get(record.id)
        if sent is not None and record.version <= sent:
            return False
        if sent is not None:
            del latest[record.id]  # to the end: the most recently updated
        latest[record.id] = record.version
        if len(latest) > self._limit:
            del latest[next(iter(latest))]
        return True
