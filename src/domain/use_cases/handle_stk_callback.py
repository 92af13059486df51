import structlog

from domain.callback_outcome import CallbackOutcome
from domain.errors import CallbackRejectedError, ConcurrentUpdateError, PaymentFinalError
from domain.payment import Payment, StkResult
from domain.ports import Broadcaster, Clock, PaymentRepository
from domain.topics import stk_topic

logger = structlog.get_logger()

_ATTEMPTS = 3


class HandleStkCallback:
    """Apply Daraja's result to the one payment its secret URL token names, at most once."""

    def __init__(self, payments: PaymentRepository, broadcaster: Broadcaster, clock: Clock) -> None:
        self._payments, self._broadcaster, self._clock = payments, broadcaster, clock

    async def __call__(self, callback_token: str, result: StkResult) -> CallbackOutcome:
        for _ in range(_ATTEMPTS):
            payment = await self._payments.by_callback_token(callback_token)
            if payment is None:
                raise CallbackRejectedError("no payment has this callback URL")
            try:
                payment.settle(result, self._clock.now())
            except PaymentFinalError:
                return self._duplicate(payment, result)
            try:
                await self._payments.save(payment)
            except ConcurrentUpdateError:
                continue
            await self._broadcaster.publish(stk_topic(payment.hash), payment.view())
            logger.info(
                "stk_callback_applied",
                payment_id=payment.id,
                hash=payment.hash,
                checkout=payment.checkout,
                result_code=result.result_code,
                status=payment.status.value,
            )
            return CallbackOutcome.APPLIED
        raise ConcurrentUpdateError(f"payment for checkout {result.checkout} kept changing under the callback")

    @staticmethod
    def _duplicate(payment: Payment, result: StkResult) -> CallbackOutcome:
        logger.warning(
            "stk_callback_duplicate",
            payment_id=payment.id,
            checkout=payment.checkout,
            stored_result_code=payment.result_code,
            result_code=result.result_code,
            agrees=payment.result_code == result.result_code,
        )
        return CallbackOutcome.DUPLICATE
