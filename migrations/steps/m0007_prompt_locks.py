from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 7
NAME = "prompt_locks"

# A migration is history: it names the collection as it was then, not as the adapter may name it later.
_LOCKS = "stk_prompt_locks"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # One lock per phone, keyed by `_id` (unique everywhere); each carries its expiry, and this index removes it then
    # (give or take the TTL monitor), so a payment that never ends frees its phone after a prompt's lifetime.
    await database[_LOCKS].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
