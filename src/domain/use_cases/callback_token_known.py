from typing import Protocol


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
