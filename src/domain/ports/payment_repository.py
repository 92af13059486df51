from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from domain.payment import Payment
from domain.resume_cursor import ResumeCursor


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
    async def by_checkout(self, hash_: str, checkout: str) -> Payment | None:
        """The payment of this hash with Daraja's CheckoutRequestID (or the gateway's own id)."""

    @abstractmethod
    async def by_callback_token(self, token: str) -> Payment | None:
        """The payment whose callback URL carries this secret token."""

    @abstractmethod
    async def due_for_check(self, now: datetime, limit: int) -> list[Payment]:
        """Up to `limit` pending payments with a CheckoutRequestID whose `next_check_at` is not after `now`,
        the longest-waiting first."""

    @abstractmethod
    async def changed_after(self, hash_: str, after: ResumeCursor, limit: int) -> list[Payment]:
        """The hash's payments whose last change is placed after `after` (see `ResumeCursor`), in that order,
        the first `limit`."""

    @abstractmethod
    async def open_or_changed_after(self, hash_: str, start: ResumeCursor, limit: int) -> list[Payment] | None:
        """In one read, the hash's pending payments whose last change is placed up to `start` and every payment
        placed after it, in no particular order; None, rather than a part of them, when they are more than
        `limit`."""

    @abstractmethod
    async def open_between(self, hash_: str, after: ResumeCursor, until: ResumeCursor, limit: int) -> list[Payment]:
        """The hash's pending payments whose last change is placed after `after` and not after `until`, in
        that order, the first `limit`."""
