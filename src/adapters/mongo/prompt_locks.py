from datetime import datetime

from pymongo.errors import DuplicateKeyError

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.store_errors import translates_store_errors
from domain.errors import ConcurrentUpdateError
from domain.phone import Phone
from domain.ports import PromptLocks

_COLLECTION = "stk_prompt_locks"
# Rounds of `acquire` before it stops: each lost round means another push or a release got in between.
_ROUNDS = 10


class MongoPromptLocks(PromptLocks):
    """One document per phone, `_id` the phone (unique in every store), so of concurrent pushes one insert wins.

    Each document carries its expiry; a TTL index removes it then (give or take the TTL monitor), and until it does
    an expired lock is taken over by a replacement conditional on the holder read: again one winner. Inserted and
    replaced whole, since nx-27017 (the embedded store) keeps a datetime given to `$set` as a string, which the TTL
    index would then never expire. The expiry is always in the future when written: nx-27017 sweeps documents whose
    expiry is already past at once.
    """

    def __init__(self, database: MongoDatabase) -> None:
        self._locks = database[_COLLECTION]

    @translates_store_errors
    async def acquire(self, phone: Phone, holder: str, now: datetime, expires_at: datetime) -> datetime | None:
        lock = {"holder": holder, "acquired_at": as_utc(now), "expires_at": as_utc(expires_at)}
        for _ in range(_ROUNDS):
            try:
                await self._locks.insert_one({"_id": phone.msisdn, **lock})
            except DuplicateKeyError:
                pass
            else:
                return None
            held = await self._locks.find_one({"_id": phone.msisdn})
            if held is None:
                continue  # released, or expired and removed, since the insert: insert again
            held_until = as_utc(held["expires_at"])
            if now < held_until:
                return held_until
            if await self._locks.find_one_and_replace({"_id": phone.msisdn, "holder": held["holder"]}, lock):
                return None
        raise ConcurrentUpdateError(f"the prompt lock of {phone.masked} kept changing while it was taken")

    @translates_store_errors
    async def release(self, phone: Phone, holder: str) -> None:
        await self._locks.delete_one({"_id": phone.msisdn, "holder": holder})
