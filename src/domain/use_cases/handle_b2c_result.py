import structlog

from domain.callback_outcome import CallbackOutcome
from domain.errors import CallbackRejectedError, ConcurrentUpdateError, PaymentFinalError
from domain.ports import Broadcaster, Clock, DailyAllowance, WithdrawalRepository
from domain.topics import b2c_topic
from domain.withdrawal import B2cResult, Withdrawal, WithdrawalStatus

logger = structlog.get_logger()

_ATTEMPTS = 3


class HandleB2cResult:
    """Apply Daraja's Result, or its queue time-out notice, to the one withdrawal its secret URL token names."""

    def __init__(
        self, withdrawals: WithdrawalRepository, allowance: DailyAllowance, broadcaster: Broadcaster, clock: Clock
    ) -> None:
        self._withdrawals, self._allowance, self._broadcaster, self._clock = withdrawals, allowance, broadcaster, clock

    async def __call__(self, callback_token: str, result: B2cResult, queue_timeout: bool) -> CallbackOutcome:
        for _ in range(_ATTEMPTS):
            withdrawal = await self._withdrawals.by_callback_token(callback_token)
            if withdrawal is None:
                raise CallbackRejectedError("no withdrawal has this result URL")
            try:
                if queue_timeout:
                    withdrawal.time_out(result, self._clock.now())
                else:
                    withdrawal.settle(result, self._clock.now())
            except PaymentFinalError:
                return self._duplicate(withdrawal, result, queue_timeout)
            try:
                await self._withdrawals.save(withdrawal)
            except ConcurrentUpdateError:
                continue
            if withdrawal.status is WithdrawalStatus.FAILED:
                await self._allowance.release(withdrawal.hash, withdrawal.allowance_day, withdrawal.amount.shillings)
            await self._broadcaster.publish(b2c_topic(withdrawal.hash), withdrawal.view())
            logger.info(
                "b2c_result_applied",
                withdrawal_id=withdrawal.id,
                hash=withdrawal.hash,
                phone=withdrawal.phone.masked,
                amount=withdrawal.amount.shillings,
                originator_conversation_id=withdrawal.originator_conversation_id,
                conversation_id=withdrawal.conversation_id,
                queue_timeout=queue_timeout,
                result_code=result.result_code,
                status=withdrawal.status.value,
            )
            return CallbackOutcome.APPLIED
        raise ConcurrentUpdateError(
            f"withdrawal for {result.originator_conversation_id} kept changing under the result"
        )

    @staticmethod
    def _duplicate(withdrawal: Withdrawal, result: B2cResult, queue_timeout: bool) -> CallbackOutcome:
        logger.warning(
            "b2c_result_duplicate",
            withdrawal_id=withdrawal.id,
            originator_conversation_id=withdrawal.originator_conversation_id,
            status=withdrawal.status.value,
            stored_result_code=withdrawal.result_code,
            result_code=result.result_code,
            queue_timeout=queue_timeout,
            agrees=withdrawal.result_code == result.result_code,
        )
        return CallbackOutcome.DUPLICATE
