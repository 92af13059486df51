"""One round of Transaction Status checks, run alike for payouts and for reversals: claim each due record (which
opens its query), ask Daraja, and stop the round while Daraja cannot be asked. Never a resend: only a query."""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Protocol, TypeVar

import structlog

from domain.shared.errors import DomainError, ProviderUnavailableError, StoreUnavailableError
from domain.shared.status_query import StatusQueryRequest

logger = structlog.get_logger()

Due = TypeVar("Due")


class TransactionStatusProvider(Protocol):
    async def request_transaction_status(self, query: StatusQueryRequest) -> None: ...


async def ask_status_of_each(
    due: Iterable[Due],
    claim: Callable[[Due], Awaitable[StatusQueryRequest | None]],
    provider: TransactionStatusProvider,
    *,
    kind: str,
    about: Callable[[Due], Mapping[str, object]],
) -> int:
    """Claim and ask about each of `due` in turn; the number claimed. A record `claim` answers None for is not ours
    this round. ProviderUnavailableError ends the round (the rest stay due, and the claimed one is asked again at
    its next check); a refusal is logged and the round goes on; StoreUnavailableError propagates. Every line logged
    about a record carries `about(record)`, read once it is claimed."""
    claimed_count = 0
    for record in due:
        query = await claim(record)
        if query is None:
            continue
        claimed_count += 1
        with structlog.contextvars.bound_contextvars(**about(record)):
            try:
                await provider.request_transaction_status(query)
            except ProviderUnavailableError as error:
                logger.warning(f"{kind}_reconcile_paused", reason=error.message)
                return claimed_count
            except StoreUnavailableError:
                raise
            except DomainError as error:
                # Refused: the claim already moved the next check, so it is asked again later.
                logger.warning(f"{kind}_reconcile_failed", reason=error.message)
                continue
            logger.info(f"{kind}_status_requested")
    return claimed_count
