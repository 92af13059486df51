"""How a webhook is signed, the way Stripe signs: `Mpesa-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`.

The MAC is computed with the endpoint's secret (the whole `whsec_…` text, UTF-8) over `<t>.<raw body>`. A receiver
recomputes it over the body exactly as received, compares in constant time, and refuses a `t` further than its
tolerance from its own clock (300 seconds by default), so a captured delivery cannot be replayed later.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "Mpesa-Signature"
EVENT_ID_HEADER = "Mpesa-Event-Id"
DEFAULT_TOLERANCE_SECONDS = 300
SCHEME = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SCHEME}={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """True when `header` signs `body` with `secret` and its time is within `tolerance` seconds of `now`."""
    pairs = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in pairs if key.strip() == "t"]
    macs = [value.strip() for key, value in pairs if key.strip() == SCHEME]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not macs:
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, mac) for mac in macs)
