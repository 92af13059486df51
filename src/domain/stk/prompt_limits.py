"""Limits against STK-push spam: a customer's phone must not be flooded with PIN prompts."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.shared.errors import PhoneHeldError, RateLimitedError
from domain.shared.phone import Phone
from domain.shared.ports import RateLimiter
from domain.stk.payment import Payment

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
    """Refuses a push with RateLimitedError before anything is sent.

    "One pending prompt per phone" is held by the payment itself: `admit` gives it the phone until its prompt's
    lifetime ends, and the payment store refuses (PhoneHeldError) a second payment holding the same phone while the
    first is open, atomically, so two pushes at the same instant, on any instance, can never both prompt. The phone
    is free again as soon as the payment is stored final (or refused), or once the lifetime has passed.
    """

    def __init__(self, limiter: RateLimiter, limits: PromptLimits) -> None:
        self._limiter, self._limits = limiter, limits

    async def admit(self, payment: Payment, now: datetime) -> None:
        """Count the prompt against its phone's window (RateLimitedError past it) and let the payment hold the
        phone; the store then refuses the payment if another open prompt holds it (`held_elsewhere`)."""
        limits = self._limits
        if limits.per_phone > 0:
            wait = await self._limiter.try_acquire(self._counted(payment.phone), limits.per_phone, limits.window, now)
            if wait is not None:
                # Only prompts that are stored count: a refusal never eats into the window of a phone whose
                # client pushed many times at once.
                await self._limiter.give_back(self._counted(payment.phone), limits.window, now)
                raise RateLimitedError(f"at most {limits.per_phone} prompts per phone in a window", _seconds(wait))
        if limits.one_pending:
            payment.phone_held_until = now + limits.pending_lifetime

    async def held_elsewhere(self, payment: Payment, held: PhoneHeldError, now: datetime) -> RateLimitedError:
        """The store refused the payment (another open prompt holds its phone): it never prompts, so its count is
        given back; the refusal to raise."""
        if self._limits.per_phone > 0:
            await self._limiter.give_back(self._counted(payment.phone), self._limits.window, now)
        return RateLimitedError(
            "this phone already has a payment prompt waiting for the customer", _seconds(held.until - now)
        )

    async def forget_counts(self, phone: Phone | None) -> None:
        """The simulator's reset: `phone` (or every phone) may be prompted STK_PROMPTS_PER_PHONE times again now.
        A prompt still open keeps its phone (one pending prompt per phone) until it ends."""
        await self._limiter.forget(_COUNTED + (phone.msisdn if phone is not None else ""))

    @staticmethod
    def _counted(phone: Phone) -> str:
        return f"{_COUNTED}{phone.msisdn}"


def _seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))
