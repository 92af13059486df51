from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """BSON dates are UTC; a naive time is taken as UTC, as a client without tz_aware hands them back."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
