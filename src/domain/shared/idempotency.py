"""Idempotency keys: a client's key names one request on one subject for 24 hours; a repeat gets the original back."""

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import IdempotencyConflictError
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.shared.phone import Phone
from domain.shared.ports import IdempotencyKeys

IDEMPOTENCY_WINDOW = timedelta(hours=24)
STK_SCOPE = "stk"
B2C_SCOPE = "b2c"
# A repeat can arrive between the first request's claim and the moment its record is stored (one insert later):
# it looks again this many times, this many seconds apart, before it gives up.
ORIGINAL_LOOKUPS = 40
ORIGINAL_LOOKUP_PAUSE = 0.05
# A claim whose record is still missing this long after it was made belongs to a request that died in between
# (or whose key could not be given back while the store was down): a repeat may take the key over.
ABANDONED_AFTER = timedelta(minutes=1)

OriginalT = TypeVar("OriginalT")


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    """A validated request and the client's key for it; equal fingerprints mean the same request."""

    scope: str
    subject: str
    key: str
    fingerprint: str


def keyed_request(
    scope: str,
    subject: str,
    key: str | None,
    kind: str,
    phone: Phone,
    amount: Amount,
    description: Description,
    reference: MerchantReference | None = None,
    metadata: Metadata | None = None,
) -> KeyedRequest | None:
    """The request as its key names it, or None when the client sent no key."""
    if key is None:
        return None
    # Normalised values, so "0712…" and "+254 712…", or extra spaces in the description, are the same request.
    parts: list[object] = [kind, phone.msisdn, amount.shillings, description.text]
    if reference is not None or metadata is not None:
        # Only when given, so a request without them keeps the fingerprint keys stored before they existed.
        parts += [None if reference is None else reference.text, None if metadata is None else metadata.as_dict()]
    canonical = json.dumps(parts, separators=(",", ":"), sort_keys=True)
    return KeyedRequest(scope, subject, key, hashlib.sha256(canonical.encode()).hexdigest())


async def store_unless_repeated(
    keys: IdempotencyKeys,
    request: KeyedRequest | None,
    resource_id: str,
    now: datetime,
    store: Callable[[], Awaitable[None]],
    find_original: Callable[[str], Awaitable[OriginalT | None]],
) -> OriginalT | None:
    """Run `store` and answer None, unless the request repeats an earlier one's key: then answer that original.

    The key is claimed before `store` runs, so of two requests with one key only one stores anything; a `store` that
    raises gives the key back. Raises IdempotencyConflictError when the key was used for a different request, or
    when the original is still not stored after a short wait.
    """
    if request is None:
        await store()
        return None
    original = await _claim_or_find_original(keys, request, resource_id, now, find_original)
    if original is not None:
        return original
    try:
        await store()
    except Exception:
        await keys.release(request.scope, request.subject, request.key, resource_id)
        raise
    return None


async def _claim_or_find_original(
    keys: IdempotencyKeys,
    request: KeyedRequest,
    resource_id: str,
    now: datetime,
    find_original: Callable[[str], Awaitable[OriginalT | None]],
) -> OriginalT | None:
    for _ in range(ORIGINAL_LOOKUPS):
        claim = await keys.claim(request.scope, request.subject, request.key, request.fingerprint, resource_id, now)
        if claim.new:
            return None
        if claim.fingerprint != request.fingerprint:
            raise IdempotencyConflictError(
                "the idempotency key was used on this hash within 24 hours for a different request"
            )
        original = await find_original(claim.resource_id)
        if original is not None:
            return original
        if now - claim.claimed_at >= ABANDONED_AFTER:
            # Conditional on the abandoned holder, so of several repeats only one takes the key in the next round.
            await keys.release(request.scope, request.subject, request.key, claim.resource_id)
            continue
        # The next round claims again: a first request that failed before storing has given its key back.
        await asyncio.sleep(ORIGINAL_LOOKUP_PAUSE)
    raise IdempotencyConflictError("the request first sent with this idempotency key is still in progress")
