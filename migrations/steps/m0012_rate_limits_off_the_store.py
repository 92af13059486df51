from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

VERSION = 12
NAME = "rate_limits_off_the_store"

# A migration is history: it names the collections as they were then, not as the adapters may name them later.
_WINDOWS = "rate_limits"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # Prompts per phone are counted in Redis, or in each process without it: the store's fixed-window documents
    # are read by nobody now. Dropping loses at most the counts of the windows open at the upgrade.
    await database.drop_collection(_WINDOWS)
