"""What the reversal use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from domain.c2b.confirmation import C2bPayment
from domain.reversals.reversal import Reversal, ReversalAccepted, ReversalRequest
from domain.shared.status_query import StatusQueryRequest
from domain.stk.payment import Payment


class Reversals(Protocol):
    """The stored reversals, which are also the queue the worker sends from."""

    @abstractmethod
    async def add(self, reversal: Reversal) -> None:
        """Store a new, requested reversal; ReversalAlreadyRequestedError when another reversal that is not failed
        holds its receipt (decided by the store, so of two racing requests only one is stored)."""

    @abstractmethod
    async def save(self, reversal: Reversal) -> None:
        """Store the changes if nobody changed it since it was read, and bump its version; ConcurrentUpdateError
        otherwise."""

    @abstractmethod
    async def by_id(self, reversal_id: str) -> Reversal | None: ...

    @abstractmethod
    async def by_callback_token(self, token: str) -> Reversal | None:
        """The reversal whose ResultURL / QueueTimeOutURL carries this secret token."""

    @abstractmethod
    async def claim_next(self, worker: str, now: datetime, lease_until: datetime) -> Reversal | None:
        """Lease the oldest requested reversal whose lease is free or has ended, for `worker`; two workers never
        hold the same one."""

    @abstractmethod
    async def due_for_check(self, now: datetime, limit: int) -> list[Reversal]:
        """Up to `limit` sent or unknown reversals Daraja named (an OriginatorConversationID) whose next check is not
        after `now`, the longest-waiting first."""

    @abstractmethod
    async def by_status_query(self, token_digest: str) -> Reversal | None:
        """The reversal whose open Transaction Status query has a secret with this digest."""


class ReversalProvider(Protocol):
    @abstractmethod
    async def send_reversal(self, request: ReversalRequest) -> ReversalAccepted:
        """Ask M-PESA to reverse the payment. Never repeated by the provider.

        Raises ProviderRejectedError when M-PESA refuses the request, ProviderUnreachableError when it surely never
        arrived, and ProviderOutcomeUnknownError when it may have arrived but the answer was lost.
        """

    @abstractmethod
    async def request_transaction_status(self, query: StatusQueryRequest) -> None:
        """Ask M-PESA how the reversal with this OriginatorConversationID stands; the answer arrives later at the
        status URLs the query's own `callback_token` names. Harmless to repeat. Raises ProviderRejectedError when
        M-PESA refuses the query and ProviderUnavailableError when it could not be asked."""


class ReversiblePayments(Protocol):
    """The STK payments, as far as reversing them goes."""

    @abstractmethod
    async def by_receipt(self, receipt: str) -> Payment | None:
        """The payment completed with this M-PESA receipt."""

    @abstractmethod
    async def save(self, payment: Payment) -> None:
        """Store the changes if nobody changed it since it was read; ConcurrentUpdateError otherwise."""


class ReversibleC2bPayments(Protocol):
    """The C2B payments (stored confirmations), as far as reversing them goes."""

    @abstractmethod
    async def by_trans_id(self, trans_id: str) -> C2bPayment | None:
        """The payment stored under this TransID (its M-PESA receipt)."""

    @abstractmethod
    async def save(self, payment: C2bPayment) -> None:
        """Store its reversal link if nobody changed it since it was read; ConcurrentUpdateError otherwise."""
