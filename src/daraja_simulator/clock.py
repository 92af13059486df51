"""Daraja's clock: M-PESA stamps everything in Kenyan local time (EAT, UTC+3, no daylight saving)."""

from datetime import UTC, datetime, timedelta, timezone

EAT = timezone(timedelta(hours=3), "EAT")


def eat_now() -> datetime:
    return datetime.now(UTC).astimezone(EAT)


def compact_timestamp(moment: datetime) -> int:
    """YYYYMMDDHHmmss as a JSON number, as in STK TransactionDate and Transaction Status times."""
    return int(moment.strftime("%Y%m%d%H%M%S"))


def b2c_completed_time(moment: datetime) -> str:
    """B2C TransactionCompletedDateTime: "DD.MM.YYYY HH:MM:SS"."""
    return moment.strftime("%d.%m.%Y %H:%M:%S")
