"""Limits against STK-push spam: a customer's phone must not be flooded with PIN prompts."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from domain.errors import DomainError, RateLimitedError
from domain.payment import Payment
from domain.phone import Phone
from domain.ports import PromptLocks, RateLimiter

logger = structlog.get_logger()
# The rate limiter's key of a phone's prompts: this, then the phone's MSISDN.
_COUNTED = "stk-phone:"


@dataclass(frozen=True, slots=True)
class PromptLimits:
    """`per_phone` prompts per `window` (0: no such limit); with `one_pending`, no new prompt while another is
    pending, for at most `pending_lifetime` (how long a prompt stays on the phone)."""

    per_phone: int
    window: timedelta
    one_pending: bool = True
    pending_lifetime: timedelta = timedelta(minutes=2)


class PromptGate:
    """Refuses a push with RateLimitedError before anything is stored or sent.

    "One pending prompt per phone" is a lock on the phone, taken atomically for the payment before Daraja is asked
    and given back when the payment is final (or refused); its expiry, the prompt's lifetime, frees a phone whose
    payment never ends, so two pushes at the same instant can never both prompt.
    """

    def __init__(self, limiter: RateLimiter, locks: PromptLocks, limits: PromptLimits) -> None:
        self._limiter, self._locks, self._limits = limiter, locks, limits

    async def admit(self, phone: Phone, payment_id: str, now: datetime) -> None:
        """Let the payment prompt `phone`; it then holds the phone until `release_if_final` sees it final."""
        limits = self._limits
        if limits.one_pending:
            held_until = await self._locks.acquire(phone, payment_id, now, now + limits.pending_lifetime)
            if held_until is not None:
                raise RateLimitedError(
                    "this phone already has a payment prompt waiting for the customer", _seconds(held_until - now)
                )
        if limits.per_phone > 0:
            wait = await self._limiter.try_acquire(f"{_COUNTED}{phone.msisdn}", limits.per_phone, limits.window, now)
            if wait is not None:
                await self.release(phone, payment_id)
                raise RateLimitedError(f"at most {limits.per_phone} prompts per phone in a window", _seconds(wait))

    async def forget_counts(self, phone: Phone | None) -> None:
        """The simulator's reset: `phone` (or every phone) may be prompted STK_PROMPTS_PER_PHONE times again now.
        A prompt still open keeps its phone (one pending prompt per phone) until it ends."""
        await self._limiter.forget(_COUNTED + (phone.msisdn if phone is not None else ""))

    async def release(self, phone: Phone, payment_id: str) -> None:
        """The payment will never prompt (it was refused, or never stored): free its phone now."""
        if not self._limits.one_pending:
            return
        try:
            await self._locks.release(phone, payment_id)
        except DomainError as error:
            # The payment's own state is already stored; the lock's expiry frees the phone a little later.
            logger.warning("stk_prompt_lock_kept", payment_id=payment_id, phone=phone.masked, reason=error.message)

    async def release_if_final(self, payment: Payment) -> None:
        if payment.status.is_final:
            await self.release(payment.phone, payment.id)


def _seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))
