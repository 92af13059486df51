from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """BSON dates are UTC; a naive time is taken as UTC, as a client without tz_aware hands them back."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stored_time(moment: datetime) -> datetime:
    """`moment` as the store will keep it: UTC, in whole milliseconds (BSON's precision), as the models dump it."""
    moment = as_utc(moment)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
