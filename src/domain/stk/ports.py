"""What the STK use cases need from the outside, in the domain's words."""

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from domain.shared.resume_cursor import ResumeCursor
from domain.stk.payment import Payment, StkPushAccepted, StkPushRequest
from domain.stk.query import StkQueryAnswer


class PaymentProvider(Protocol):
    @abstractmethod
    async def start_stk_push(self, request: StkPushRequest) -> StkPushAccepted:
        """Ask M-PESA to prompt the phone. Never repeated by the provider: a second push could charge twice.

        Raises ProviderRejectedError when M-PESA says no, ProviderUnreachableError when the request surely
        never arrived, and ProviderOutcomeUnknownError when it may have arrived but the answer was lost.
        """

    @abstractmethod
    async def query_stk(self, checkout: str) -> StkQueryAnswer:
        """Ask M-PESA how the push with this CheckoutRequestID stands: pending, or final with its result code.

        Harmless to repeat, so the provider retries it itself while M-PESA is in trouble. Raises
        ProviderRejectedError when M-PESA refuses the query (e.g. an unknown CheckoutRequestID) and
        ProviderUnavailableError when no answer could be had.
        """


class PaymentRepository(Protocol):
    @abstractmethod
    async def add(self, payment: Payment) -> None:
        """Store a new payment.

        A payment that holds its phone (`holds_phone`) is refused with PhoneHeldError while another stored payment
        still holds the same phone; one whose hold has passed its time is taken over. Atomic: of any number of
        concurrent adds for one phone, in one process or several, exactly one is stored.
        """

    @abstractmethod
    async def save(self, payment: Payment) -> None:
        """Store the payment's changes if nobody changed it since it was read, and bump its version.

        Raises ConcurrentUpdateError otherwise, so two writers can never both decide a payment's outcome. A payment
        that no longer holds its phone (final, or past its hold) frees it in the same write.
        """

    @abstractmethod
    async def by_checkout(self, subject: str, checkout: str) -> Payment | None:
        """The payment of this subject with Daraja's CheckoutRequestID (or the gateway's own id)."""

    @abstractmethod
    async def by_callback_token(self, token: str) -> Payment | None:
        """The payment whose callback URL carries this secret token: as stored, or as this process last stored it
        (for the write that follows; a save on a version since changed raises ConcurrentUpdateError)."""

    @abstractmethod
    async def due_for_check(self, now: datetime, limit: int) -> list[Payment]:
        """Up to `limit` pending payments with a CheckoutRequestID whose `next_check_at` is not after `now`,
        the longest-waiting first."""

    @abstractmethod
    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[Payment]:
        """The subject's payments whose last change is placed after `after` (see `ResumeCursor`), in that order,
        the first `limit`."""

    @abstractmethod
    async def open_or_changed_after(self, subject: str, start: ResumeCursor, limit: int) -> list[Payment] | None:
        """In one read, the subject's pending payments whose last change is placed up to `start` and every payment
        placed after it, in no particular order; None, rather than a part of them, when they are more than
        `limit`."""

    @abstractmethod
    async def open_between(self, subject: str, after: ResumeCursor, until: ResumeCursor, limit: int) -> list[Payment]:
        """The subject's pending payments whose last change is placed after `after` and not after `until`, in
        that order, the first `limit`."""
