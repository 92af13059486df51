"""Mint an mpesa-gateway client token in a merchant's backend: the Python standard library only.

    python mint_token.py <key-id> <secret> <subject> <scopes, e.g. stk,b2c> [ttl-seconds]
"""

import base64
import hashlib
import hmac
import json
import sys
import time


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mint_token(key_id, secret, subject, scopes, ttl=3600, max_withdrawal=None, phone=None):
    claims = {"sub": subject, "exp": int(time.time()) + ttl, "scope": list(scopes)}
    if max_withdrawal is not None:
        claims["max_withdrawal"] = max_withdrawal
    if phone is not None:
        claims["phone"] = phone
    signed = f"v1.{key_id}.{b64url(json.dumps(claims).encode())}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{b64url(mac)}"


if __name__ == "__main__":
    key_id, secret, subject, scopes, *ttl = sys.argv[1:]
    print(mint_token(key_id, secret, subject, scopes.split(","), int(ttl[0]) if ttl else 3600))
