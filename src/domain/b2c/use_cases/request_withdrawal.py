from collections.abc import Callable
from dataclasses import dataclass

import structlog

from domain.b2c.ports import DailyAllowance, WithdrawalRepository
from domain.b2c.use_cases.announce_withdrawal import AnnounceWithdrawal
from domain.b2c.withdrawal import Withdrawal
from domain.events.ports import Broadcaster
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import LimitExceededError, ValidationError
from domain.shared.idempotency import B2C_SCOPE, keyed_request, store_unless_repeated
from domain.shared.merchant_data import B2C_REFERENCE_LENGTH, optional_metadata, optional_reference
from domain.shared.phone import Phone
from domain.shared.ports import Clock, IdempotencyKeys, Identifiers

logger = structlog.get_logger()

# Daraja's Remarks take 2–100 characters (docs/daraja.md#field-limits); Description already caps the length.
_SHORTEST_REMARKS = 2


@dataclass(frozen=True, slots=True)
class WithdrawCommand:
    subject: str
    phone: object
    amount: object
    description: object
    idempotency_key: str | None = None
    reference: object = None
    metadata: object = None


class RequestWithdrawal:
    """Check the withdrawal against the limits, reserve it in the subject's daily total, then queue it for the worker.

    A refused withdrawal leaves nothing behind: not stored, not reserved, not published, its key not kept. One that
    repeats an earlier one's idempotency key gets that withdrawal back and reserves nothing.
    """

    def __init__(
        self,
        withdrawals: WithdrawalRepository,
        allowance: DailyAllowance,
        broadcaster: Broadcaster,
        clock: Clock,
        identifiers: Identifiers,
        keys: IdempotencyKeys,
        minimum: int,
        maximum: int,
        daily_limit: int,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        if not 1 <= minimum <= maximum:
            raise ValueError(f"the withdrawal limits must satisfy 1 <= minimum <= maximum, not {minimum}, {maximum}")
        self._withdrawals, self._allowance = withdrawals, allowance
        self._announce = AnnounceWithdrawal(allowance, broadcaster)
        self._clock, self._identifiers, self._keys = clock, identifiers, keys
        self._minimum, self._maximum, self._daily_limit = minimum, maximum, daily_limit
        self._on_queued = on_queued

    async def __call__(self, command: WithdrawCommand) -> Withdrawal:
        phone = Phone.parse(command.phone)
        description = _remarks(command.description)
        reference = optional_reference(command.reference, B2C_REFERENCE_LENGTH)
        metadata = optional_metadata(command.metadata)
        amount = self._within_limits(command.amount)
        withdrawal = Withdrawal.start(
            withdrawal_id=self._identifiers.new_id(),
            subject=command.subject,
            phone=phone,
            amount=amount,
            description=description,
            originator_conversation_id=self._identifiers.new_id(),
            callback_token=self._identifiers.new_secret(),
            now=self._clock.now(),
            reference=reference,
            metadata=metadata,
        )
        keyed = keyed_request(
            B2C_SCOPE,
            withdrawal.subject,
            command.idempotency_key,
            "withdraw",
            phone,
            amount,
            description,
            reference,
            metadata,
        )
        original = await store_unless_repeated(
            self._keys,
            keyed,
            withdrawal.id,
            withdrawal.created_at,
            store=lambda: self._reserve_and_add(withdrawal),
            find_original=lambda withdrawal_id: self._withdrawals.by_id(withdrawal.subject, withdrawal_id),
        )
        if original is not None:
            logger.info("withdrawal_repeated", withdrawal_id=original.id, hash=original.subject)
            return original
        await self._announce(withdrawal)
        logger.info(
            "withdrawal_queued",
            withdrawal_id=withdrawal.id,
            hash=withdrawal.subject,
            phone=phone.masked,
            amount=amount.shillings,
            originator_conversation_id=withdrawal.originator_conversation_id,
        )
        if self._on_queued is not None:
            self._on_queued()
        return withdrawal

    async def _reserve_and_add(self, withdrawal: Withdrawal) -> None:
        amount, day = withdrawal.amount, withdrawal.allowance_day
        if not await self._allowance.reserve(withdrawal.subject, day, amount.shillings, self._daily_limit):
            raise _over("daily_limit", self._daily_limit, amount, f"would pass the daily total of {self._daily_limit}")
        try:
            await self._withdrawals.add(withdrawal)
        except Exception:
            # Most likely the store is down and nothing was queued: give the day's total back.
            await self._allowance.release(withdrawal.subject, day, amount.shillings)
            raise

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
