from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.idempotency import IDEMPOTENCY_WINDOW
from domain.shared.ports import IdempotencyClaim, IdempotencyKeys

_COLLECTION = "idempotency_keys"
# Rounds of `claim` before it stops: each lost round means another claim or release of the same key got in between.
_CLAIM_ROUNDS = 10


class MongoIdempotencyKeys(IdempotencyKeys):
    """One document per (scope, hash, key), unique in the store, so the first insert wins in every process.

    A TTL index on `expires_at` removes expired keys, but only within a minute or so: until then an expired document
    is taken over by a replacement conditional on the holder read, again a single-document operation with one winner.
    Documents are inserted and replaced whole: nx-27017 (the embedded store) keeps a datetime given to `$set` as a
    string, which the TTL index would then never expire.

    A store that cannot be reached raises StoreUnavailableError.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._keys = database[_COLLECTION]

    @translates_store_errors
    async def claim(
        self, scope: str, subject: str, key: str, fingerprint: str, resource_id: str, now: datetime
    ) -> IdempotencyClaim:
        named = {"scope": scope, "hash": subject, "key": key}
        claimed = IdempotencyClaim(resource_id, fingerprint, now, new=True)
        document = {**named, **_fields(claimed)}
        for _ in range(_CLAIM_ROUNDS):
            try:
                await self._keys.insert_one(dict(document))
            except DuplicateKeyError:
                pass
            else:
                return claimed
            held = await self._keys.find_one(equal_to(named))
            if held is None:
                continue  # released, or expired and removed, since the insert: insert again
            holder = _claim(held)
            if now < as_utc(held["expires_at"]):
                return holder
            if await self._keys.find_one_and_replace(equal_to({**named, "resource_id": holder.resource_id}), document):
                return claimed
        raise ConcurrentUpdateError(f"idempotency key {key!r} of {subject} kept changing while it was claimed")

    @translates_store_errors
    async def release(self, scope: str, subject: str, key: str, resource_id: str) -> None:
        await self._keys.delete_one(equal_to({"scope": scope, "hash": subject, "key": key, "resource_id": resource_id}))


def _fields(claim: IdempotencyClaim) -> dict[str, Any]:
    claimed_at = as_utc(claim.claimed_at)
    return {
        "fingerprint": claim.fingerprint,
        "resource_id": claim.resource_id,
        "claimed_at": claimed_at,
        "expires_at": claimed_at + IDEMPOTENCY_WINDOW,
    }


def _claim(held: dict[str, Any]) -> IdempotencyClaim:
    return IdempotencyClaim(held["resource_id"], held["fingerprint"], as_utc(held["claimed_at"]), new=False)
