"""Mint an mpesa-gateway client token in a merchant's backend with PyJWT (`pip install pyjwt`).

    python mint_token.py <key-id> <secret> <subject> <scopes, e.g. stk,b2c> [ttl-seconds]
"""

import sys
import time

import jwt


def mint_token(key_id, secret, subject, scopes, ttl=3600, max_withdrawal=None, phone=None):
    claims = {"sub": subject, "exp": int(time.time()) + ttl, "scope": " ".join(scopes)}
    if max_withdrawal is not None:
        claims["max_withdrawal"] = max_withdrawal
    if phone is not None:
        claims["phone"] = phone
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": key_id})


if __name__ == "__main__":
    key_id, secret, subject, scopes, *ttl = sys.argv[1:]
    print(mint_token(key_id, secret, subject, scopes.split(","), int(ttl[0]) if ttl else 3600))
