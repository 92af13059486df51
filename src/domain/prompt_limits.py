"""Limits against STK-push spam: a customer's phone must not be flooded with PIN prompts."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import RateLimitedError
from domain.phone import Phone
from domain.ports import PendingPrompts, RateLimiter


@dataclass(frozen=True, slots=True)
class PromptLimits:
    """`per_phone` prompts per `window` (0: no such limit); with `one_pending`, no new prompt while one younger than
    `pending_lifetime` (how long a prompt stays on the phone) is still pending."""

    per_phone: int
    window: timedelta
    one_pending: bool = True
    pending_lifetime: timedelta = timedelta(minutes=2)


class PromptGate:
    """Refuses a push with RateLimitedError before anything is stored or sent."""

    def __init__(self, limiter: RateLimiter, pending: PendingPrompts, limits: PromptLimits) -> None:
        self._limiter, self._pending, self._limits = limiter, pending, limits

    async def admit(self, phone: Phone, now: datetime) -> None:
        limits = self._limits
        if limits.one_pending:
            latest = await self._pending.latest_pending(phone, now - limits.pending_lifetime)
            if latest is not None:
                raise RateLimitedError(
                    "this phone already has a payment prompt waiting for the customer",
                    _seconds(latest + limits.pending_lifetime - now),
                )
        if limits.per_phone > 0:
            wait = await self._limiter.try_acquire(f"stk-phone:{phone.msisdn}", limits.per_phone, limits.window, now)
            if wait is not None:
                raise RateLimitedError(f"at most {limits.per_phone} prompts per phone in a window", _seconds(wait))


def _seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))
