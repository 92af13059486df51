"""What the B2C use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from domain.b2c.withdrawal import B2cAccepted, B2cRequest, Withdrawal
from domain.shared.resume_cursor import ResumeCursor
from domain.shared.status_query import StatusQueryRequest


class PayoutProvider(Protocol):
    @abstractmethod
    async def send_b2c(self, request: B2cRequest) -> B2cAccepted:
        """Ask M-PESA to pay the customer. Never repeated by the provider: a second request could pay twice.

        Raises ProviderRejectedError when M-PESA refuses the request, ProviderUnreachableError when it surely
        never arrived, and ProviderOutcomeUnknownError when it may have arrived but the answer was lost.
        A refusal because the OriginatorConversationID was already used is DuplicatePayoutError: the payout was
        sent before and must not be treated as refused.
        """

    @abstractmethod
    async def request_transaction_status(self, query: StatusQueryRequest) -> None:
        """Ask M-PESA how the payout with this OriginatorConversationID (and receipt, when known) stands.

        Returns once M-PESA has accepted the query; its answer (a TransactionStatusResult) arrives later at the
        status URLs named by the query's own `callback_token`. Harmless to repeat (at worst two answers arrive, and
        only the first counts), so the provider retries it itself while M-PESA is in trouble. Raises
        ProviderRejectedError when M-PESA refuses the query and ProviderUnavailableError when it could not be asked.
        """


class WithdrawalRepository(Protocol):
    """The stored withdrawals are the durable B2C queue."""

    @abstractmethod
    async def add(self, withdrawal: Withdrawal) -> None:
        """Store a new, queued withdrawal."""

    @abstractmethod
    async def save(self, withdrawal: Withdrawal) -> None:
        """Store the changes if nobody changed it since it was read, and bump its version; ConcurrentUpdateError
        otherwise."""

    @abstractmethod
    async def by_id(self, subject: str, withdrawal_id: str) -> Withdrawal | None:
        """The withdrawal of this subject with this gateway id."""

    @abstractmethod
    async def by_callback_token(self, token: str) -> Withdrawal | None:
        """The withdrawal whose ResultURL / QueueTimeOutURL carries this secret token: as stored, or as this process
        last stored it (for the write that follows; a save on a version since changed raises ConcurrentUpdateError)."""

    @abstractmethod
    async def by_status_query(self, token_digest: str) -> Withdrawal | None:
        """The withdrawal whose open Transaction Status query has a secret with this digest."""

    @abstractmethod
    async def claim_next(
        self,
        worker: str,
        now: datetime,
        lease_until: datetime,
        prepare: Callable[[Withdrawal], None] | None = None,
    ) -> Withdrawal | None:
        """Atomically lease the oldest queued withdrawal whose lease is free or has ended, for `worker`.

        Two workers never hold the same withdrawal: the claim is one conditional update in the store. `prepare`
        changes the leased withdrawal further before that update (the worker begins its submission there), so the
        lease and the state it was taken for are stored together; a candidate it refuses (raising) is left alone.
        """

    @abstractmethod
    async def due_for_check(self, now: datetime, limit: int) -> list[Withdrawal]:
        """Up to `limit` submitted or timed-out withdrawals whose `next_check_at` is not after `now`, the
        longest-waiting first."""

    @abstractmethod
    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[Withdrawal]:
        """The subject's withdrawals whose last change is placed after `after` (see `ResumeCursor`), in that order,
        the first `limit`."""

    @abstractmethod
    async def open_or_changed_after(self, subject: str, start: ResumeCursor, limit: int) -> list[Withdrawal] | None:
        """In one read, the subject's withdrawals not yet final whose last change is placed up to `start` and every
        one placed after it, in no particular order; None, rather than a part of them, when they are more than
        `limit`."""

    @abstractmethod
    async def open_between(
        self, subject: str, after: ResumeCursor, until: ResumeCursor, limit: int
    ) -> list[Withdrawal]:
        """The subject's withdrawals not yet final whose last change is placed after `after` and not after `until`, in
        that order, the first `limit`."""


class DailyAllowance(Protocol):
    """The per-subject daily withdrawal total, reserved atomically so concurrent requests cannot pass it together."""

    @abstractmethod
    async def reserve(self, subject: str, day: str, amount: int, limit: int) -> bool:
        """Add `amount` to the subject's total for `day` (YYYY-MM-DD, Nairobi) if it stays within `limit`."""

    @abstractmethod
    async def release(self, subject: str, day: str, amount: int) -> None:
        """Give back a reservation whose withdrawal paid nothing (rejected or failed)."""
