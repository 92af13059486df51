"""Daraja's STK `Password` and `Timestamp` (docs/daraja.md#stk-push-request)."""

import base64
from datetime import datetime, timedelta, timezone

# Kenya keeps East Africa Time all year (no daylight saving), so a fixed offset needs no tz database.
EAST_AFRICA_TIME = timezone(timedelta(hours=3), "EAT")


def daraja_timestamp(moment: datetime) -> str:
    return moment.astimezone(EAST_AFRICA_TIME).strftime("%Y%m%d%H%M%S")


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode()
