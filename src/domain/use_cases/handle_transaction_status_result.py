from enum import StrEnum

import structlog

from domain.errors import CallbackRejectedError, ConcurrentUpdateError, PaymentFinalError
from domain.ports import Broadcaster, Clock, DailyAllowance, WithdrawalRepository
from domain.status_change import ChangeCause
from domain.topics import b2c_topic
from domain.transaction_status import TransactionStatusResult
from domain.withdrawal import Withdrawal, WithdrawalStatus

logger = structlog.get_logger()

_ATTEMPTS = 3


class StatusResultOutcome(StrEnum):
    """What a Transaction Status answer did to its withdrawal."""

    SETTLED = "settled"
    STILL_OPEN = "still_open"  # "Pending", or the query found nothing: the reconciler asks again later
    ALREADY_FINAL = "already_final"


class HandleTransactionStatusResult:
    """Settle the withdrawal a Transaction Status answer is about, named by the secret token in its status URL."""

    def __init__(
        self, withdrawals: WithdrawalRepository, allowance: DailyAllowance, broadcaster: Broadcaster, clock: Clock
    ) -> None:
        self._withdrawals, self._allowance, self._broadcaster, self._clock = withdrawals, allowance, broadcaster, clock

    async def __call__(self, callback_token: str, result: TransactionStatusResult) -> StatusResultOutcome:
        """Raises CallbackRejectedError when no withdrawal has this token, or the answer names another payout."""
        for _ in range(_ATTEMPTS):
            withdrawal = await self._withdrawals.by_callback_token(callback_token)
            if withdrawal is None:
                raise CallbackRejectedError("no withdrawal has this status URL")
            before = withdrawal.status
            try:
                withdrawal.settle_from_status(result, self._clock.now(), cause=ChangeCause.RECONCILER)
            except PaymentFinalError:
                return self._already_final(withdrawal, result)
            if withdrawal.status is before:
                logger.info(
                    "b2c_status_still_open",
                    withdrawal_id=withdrawal.id,
                    status=withdrawal.status.value,
                    result_code=result.result_code,
                    result_desc=result.result_desc,
                    transaction_status=result.status,
                )
                return StatusResultOutcome.STILL_OPEN
            try:
                await self._withdrawals.save(withdrawal)
            except ConcurrentUpdateError:
                continue
            if withdrawal.status is WithdrawalStatus.FAILED:
                await self._allowance.release(withdrawal.hash, withdrawal.allowance_day, withdrawal.amount.shillings)
            await self._broadcaster.publish(b2c_topic(withdrawal.hash), withdrawal.view())
            logger.info(
                "b2c_reconciled",
                withdrawal_id=withdrawal.id,
                hash=withdrawal.hash,
                amount=withdrawal.amount.shillings,
                originator_conversation_id=withdrawal.originator_conversation_id,
                transaction_status=result.status,
                status=withdrawal.status.value,
                receipt=withdrawal.receipt,
            )
            return StatusResultOutcome.SETTLED
        raise ConcurrentUpdateError("withdrawal with status URL token kept changing under its status answer")

    @staticmethod
    def _already_final(withdrawal: Withdrawal, result: TransactionStatusResult) -> StatusResultOutcome:
        paid = withdrawal.status is WithdrawalStatus.SUCCESS
        disagrees = result.answered and (result.completed != paid) and withdrawal.status.is_final
        log = logger.warning if disagrees else logger.info
        log(
            "b2c_status_after_final",
            withdrawal_id=withdrawal.id,
            status=withdrawal.status.value,
            transaction_status=result.status,
            result_code=result.result_code,
            agrees=not disagrees,
        )
        return StatusResultOutcome.ALREADY_FINAL
