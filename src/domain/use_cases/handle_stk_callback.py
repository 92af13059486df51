from typing import NoReturn

import structlog

from domain.anomaly import AnomalyKind, Severity
from domain.callback_anomalies import stk_anomaly, stk_disagreement
from domain.callback_outcome import CallbackOutcome
from domain.errors import CallbackRejectedError, ConcurrentUpdateError, PaymentFinalError
from domain.payment import Payment, StkResult
from domain.ports import Anomalies, Broadcaster, Clock, PaymentRepository
from domain.topics import stk_topic

logger = structlog.get_logger()

_ATTEMPTS = 3


class HandleStkCallback:
    """Apply Daraja's result to the one payment its secret URL token names, at most once.

    A repeat for a final payment changes nothing and is acknowledged; one that disagrees with the stored outcome, and
    every refused callback, is kept as an anomaly (`journal_id` says where the callback as received is).
    """

    def __init__(
        self, payments: PaymentRepository, broadcaster: Broadcaster, clock: Clock, anomalies: Anomalies
    ) -> None:
        self._payments, self._broadcaster, self._clock, self._anomalies = payments, broadcaster, clock, anomalies

    async def __call__(self, callback_token: str, result: StkResult, journal_id: str | None = None) -> CallbackOutcome:
        for _ in range(_ATTEMPTS):
            payment = await self._payments.by_callback_token(callback_token)
            if payment is None:
                await self._refuse("no payment has this callback URL", None, result, journal_id)
            try:
                payment.settle(result, self._clock.now())
            except PaymentFinalError:
                # Final already; but a success an STK query recorded still lacks the receipt this callback brings.
                try:
                    completed = payment.add_receipt(result, self._clock.now())
                except CallbackRejectedError as error:
                    await self._refuse(error.message, payment, result, journal_id)
                if not completed:
                    return await self._duplicate(payment, result, journal_id)
            except CallbackRejectedError as error:
                await self._refuse(error.message, payment, result, journal_id)
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

    async def _duplicate(self, payment: Payment, result: StkResult, journal_id: str | None) -> CallbackOutcome:
        disagreement = stk_disagreement(payment, result)
        if disagreement is not None and disagreement.kind is AnomalyKind.REJECTED:
            await self._refuse(disagreement.reason, payment, result, journal_id)
        critical = disagreement is not None and disagreement.kind.severity is Severity.CRITICAL
        (logger.error if critical else logger.warning)(
            "stk_callback_duplicate",
            payment_id=payment.id,
            checkout=payment.checkout,
            stored_result_code=payment.result_code,
            result_code=result.result_code,
            agrees=disagreement is None,
            anomaly=None if disagreement is None else disagreement.kind.value,
        )
        if disagreement is not None:
            anomaly = stk_anomaly(
                disagreement.kind, disagreement.reason, payment, result, self._clock.now(), journal_id
            )
            await self._anomalies.record(anomaly)
        return CallbackOutcome.DUPLICATE

    async def _refuse(
        self, reason: str, payment: Payment | None, result: StkResult, journal_id: str | None
    ) -> NoReturn:
        anomaly = stk_anomaly(AnomalyKind.REJECTED, reason, payment, result, self._clock.now(), journal_id)
        await self._anomalies.record(anomaly)
        raise CallbackRejectedError(reason)
