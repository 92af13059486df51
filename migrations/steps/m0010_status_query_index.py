from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

VERSION = 10
NAME = "status_query_index"

# A migration is history: it names the collections as they were then, not as the adapters may name them later.
_WITHDRAWALS = "b2c_withdrawals"


async def apply(database: AsyncDatabase[dict[str, Any]]) -> None:
    # The lookup of a Transaction Status answer by the digest of its query's secret. Only a withdrawal with a query
    # open has the field (it is left out, never null, otherwise), so the index is partial on `$exists`: the one form
    # of partial filter nx-27017 honours. Withdrawals stored before this step have no open query.
    await database[_WITHDRAWALS].create_index(
        [("status_query_digest", ASCENDING)],
        unique=True,
        partialFilterExpression={"status_query_digest": {"$exists": True}},
    )
