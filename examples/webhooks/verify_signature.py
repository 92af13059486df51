import hashlib
import hmac
import time


def verify_signature(secret: str, header: str, raw_body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """True when `header` (Mpesa-Signature) signs `raw_body`, the bytes exactly as received, with the endpoint's
    secret, and was made within `tolerance` seconds of now. Refuse the delivery (and don't act on it) otherwise."""
    try:
        pairs = [item.split("=", 1) for item in header.split(",")]
        timestamp = int(next(value for key, value in pairs if key.strip() == "t"))
        signatures = [value.strip() for key, value in pairs if key.strip() == "v1"]
    except (ValueError, StopIteration):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)
