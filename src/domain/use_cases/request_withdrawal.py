from collections.abc import Callable
from dataclasses import dataclass

import structlog

from domain.amount import Amount
from domain.description import Description
from domain.errors import LimitExceededError, ValidationError
from domain.phone import Phone
from domain.ports import Broadcaster, Clock, DailyAllowance, Identifiers, WithdrawalRepository
from domain.topics import b2c_topic
from domain.withdrawal import Withdrawal, nairobi_day

logger = structlog.get_logger()

# Daraja's Remarks take 2–100 characters (DARAJA.md §8); Description already caps the length.
_SHORTEST_REMARKS = 2


@dataclass(frozen=True, slots=True)
class WithdrawCommand:
    hash: str
    phone: object
    amount: object
    description: object


class RequestWithdrawal:
    """Check the withdrawal against the limits, reserve it in the hash's daily total, then queue it for the worker.

    A refused withdrawal leaves nothing behind: not stored, not reserved, not published.
    """

    def __init__(
        self,
        withdrawals: WithdrawalRepository,
        allowance: DailyAllowance,
        broadcaster: Broadcaster,
        clock: Clock,
        identifiers: Identifiers,
        minimum: int,
        maximum: int,
        daily_limit: int,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        if not 1 <= minimum <= maximum:
            raise ValueError(f"the withdrawal limits must satisfy 1 <= minimum <= maximum, not {minimum}, {maximum}")
        self._withdrawals, self._allowance, self._broadcaster = withdrawals, allowance, broadcaster
        self._clock, self._identifiers = clock, identifiers
        self._minimum, self._maximum, self._daily_limit = minimum, maximum, daily_limit
        self._on_queued = on_queued

    async def __call__(self, command: WithdrawCommand) -> Withdrawal:
        phone = Phone.parse(command.phone)
        description = _remarks(command.description)
        amount = self._within_limits(command.amount)
        now = self._clock.now()
        day = nairobi_day(now)
        if not await self._allowance.reserve(command.hash, day, amount.shillings, self._daily_limit):
            raise _over("daily_limit", self._daily_limit, amount, f"would pass the daily total of {self._daily_limit}")
        withdrawal = Withdrawal.start(
            withdrawal_id=self._identifiers.new_id(),
            hash_=command.hash,
            phone=phone,
            amount=amount,
            description=description,
            originator_conversation_id=self._identifiers.new_id(),
            callback_token=self._identifiers.new_secret(),
            now=now,
        )
        try:
            await self._withdrawals.add(withdrawal)
        except Exception:
            # Most likely the store is down and nothing was queued: give the day's total back.
            await self._allowance.release(command.hash, day, amount.shillings)
            raise
        await self._broadcaster.publish(b2c_topic(withdrawal.hash), withdrawal.view())
        logger.info(
            "withdrawal_queued",
            withdrawal_id=withdrawal.id,
            hash=withdrawal.hash,
            phone=phone.masked,
            amount=amount.shillings,
            originator_conversation_id=withdrawal.originator_conversation_id,
        )
        if self._on_queued is not None:
            self._on_queued()
        return withdrawal

    def _within_limits(self, raw: object) -> Amount:
        """A positive whole amount outside the limits is LIMIT_EXCEEDED; anything else not an amount is invalid."""
        if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
            if raw < self._minimum:
                raise _over("minimum", self._minimum, Amount(raw), f"is below the minimum of {self._minimum}")
            if raw > self._maximum:
                raise _over("maximum", self._maximum, Amount(raw), f"is above the maximum of {self._maximum}")
        return Amount.parse(raw, minimum=self._minimum, maximum=self._maximum)


def _remarks(raw: object) -> Description:
    description = Description.parse(raw)
    if len(description.text) < _SHORTEST_REMARKS:
        raise ValidationError("description", f"must be at least {_SHORTEST_REMARKS} characters")
    return description


def _over(limit: str, value: int, amount: Amount, rule: str) -> LimitExceededError:
    message = f"{amount.shillings} shillings {rule} shillings"
    return LimitExceededError(
        f"amount: {message}", [{"field": "amount", "message": message, "amount": amount.shillings, limit: value}]
    )
