from typing import Protocol

from domain.shared.status_query import status_token_digest


class RecordsByCallbackToken(Protocol):
    async def by_callback_token(self, token: str) -> object | None: ...


class CallbackTokenKnown:
    """Whether a callback URL's token names a record: only then is a refused callback journaled in full.

    Asked only on the rare paths (a malformed body, a refused callback); the genuine path learns it from the use
    case that found the record, with no command of its own. Each callback URL has its own (status queries may name
    their own records), so a route plugs in the lookup its tokens belong to.
    """

    def __init__(self, records: RecordsByCallbackToken) -> None:
        self._records = records

    async def __call__(self, token: str) -> bool:
        return await self._records.by_callback_token(token) is not None


class RecordsByStatusQuery(Protocol):
    async def by_status_query(self, token_digest: str) -> object | None: ...


class OpenStatusQueries:
    """The status routes' tokens are the secrets of open Transaction Status queries, found by their digest."""

    def __init__(self, withdrawals: RecordsByStatusQuery) -> None:
        self._withdrawals = withdrawals

    async def by_callback_token(self, token: str) -> object | None:
        return await self._withdrawals.by_status_query(status_token_digest(token))
