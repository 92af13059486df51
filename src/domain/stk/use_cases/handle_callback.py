from datetime import timedelta
from typing import NoReturn

import structlog

from domain.callbacks.anomaly import AnomalyKind, Severity
from domain.callbacks.outcome import CallbackOutcome
from domain.callbacks.ports import Anomalies
from domain.callbacks.received_callback import CallbackInHand
from domain.events.ports import Broadcaster
from domain.shared.check_schedule import STK_FIRST_CHECK_AFTER
from domain.shared.errors import (
    CallbackRejectedError,
    ConcurrentUpdateError,
    PaymentFinalError,
    UnknownCallbackTokenError,
)
from domain.shared.ports import Clock
from domain.shared.status_change import ChangeCause
from domain.stk.callback_anomalies import stk_anomaly, stk_disagreement
from domain.stk.payment import Payment, StkResult
from domain.stk.ports import PaymentRepository
from domain.stk.result_codes import SUCCESS_CODE
from domain.stk.success_confirmation import ConfirmStkSuccess, StkConfirmation, Verdict
from domain.stk.use_cases.announce_payment import AnnouncePayment

logger = structlog.get_logger()

_ATTEMPTS = 3


class HandleStkCallback:
    """Apply Daraja's result to the one payment its secret URL token names, at most once.

    A repeat for a final payment changes nothing and is acknowledged; one that disagrees with the stored outcome, and
    every refused callback, is kept as an anomaly (`journal_id` says where the callback as received is).

    With `confirm` (CONFIRM_SUCCESS_CALLBACKS), a success that passes every check is first put to Daraja's STK query:
    confirmed, it is applied with its receipt; refuted, it is refused and the payment settles as the query says;
    inconclusive, it is held on the pending payment for the reconciler's next query to confirm or refute.
    """

    def __init__(
        self,
        payments: PaymentRepository,
        broadcaster: Broadcaster,
        clock: Clock,
        anomalies: Anomalies,
        *,
        confirm: ConfirmStkSuccess | None = None,
        recheck_after: timedelta = STK_FIRST_CHECK_AFTER,
    ) -> None:
        self._payments, self._clock, self._anomalies = payments, clock, anomalies
        self._announce = AnnouncePayment(broadcaster)
        self._confirm, self._recheck_after = confirm, recheck_after

    async def __call__(
        self,
        callback_token: str,
        result: StkResult,
        journal_id: str | None = None,
        in_hand: CallbackInHand | None = None,
    ) -> CallbackOutcome:
        """`in_hand`, the callback as received: kept in the payment by the write that applies it (the payment's first
        callback to change it), and marked so; any other is left for the caller to journal."""
        journal_id = in_hand.journal_id if in_hand is not None else journal_id
        confirmation = await self._confirmation(callback_token, result, journal_id)
        for _ in range(_ATTEMPTS):
            payment = await self._find(callback_token, result, journal_id)
            try:
                outcome = self._apply(payment, result, confirmation)
            except PaymentFinalError:
                # Final already; but a success an STK query recorded still lacks the receipt this callback brings.
                try:
                    completed = payment.add_receipt(result, self._clock.now())
                except CallbackRejectedError as error:
                    await self._refuse(error.message, payment, result, journal_id)
                if not completed:
                    return await self._duplicate(payment, result, journal_id)
                outcome = CallbackOutcome.APPLIED
            except CallbackRejectedError as error:
                await self._refuse(error.message, payment, result, journal_id)
            if in_hand is not None and outcome is not CallbackOutcome.REFUTED:  # a refuted one is journaled
                payment.applied_callback = in_hand.fold_into(payment.applied_callback)
            try:
                await self._payments.save(payment)
            except ConcurrentUpdateError:
                continue
            if in_hand is not None:
                in_hand.kept_with_record = in_hand.folded(payment.applied_callback)
            await self._published(payment, outcome)
            if outcome is CallbackOutcome.REFUTED:
                assert confirmation is not None  # only a confirmation refutes
                await self._refuse(confirmation.reason, payment, result, journal_id, AnomalyKind.UNCONFIRMED_SUCCESS)
            logger.info(
                f"stk_callback_{outcome.value}",  # stk_callback_applied, or stk_callback_held awaiting confirmation
                payment_id=payment.id,
                hash=payment.subject,
                checkout=payment.checkout,
                result_code=result.result_code,
                status=payment.status.value,
            )
            return outcome
        raise ConcurrentUpdateError(f"payment for checkout {result.checkout} kept changing under the callback")

    async def _confirmation(
        self, callback_token: str, result: StkResult, journal_id: str | None
    ) -> StkConfirmation | None:
        """Daraja's word on a success callback for a pending payment; None when none is needed (or asked for)."""
        if self._confirm is None or result.result_code != SUCCESS_CODE:
            return None
        payment = await self._find(callback_token, result, journal_id)
        if payment.status.is_final:
            return None  # a repeat, or a receipt for a success a query recorded: decided below, Daraja not asked
        try:
            payment.check_result(result)  # a callback that names another payment is refused before Daraja is asked
        except CallbackRejectedError as error:
            await self._refuse(error.message, payment, result, journal_id)
        with structlog.contextvars.bound_contextvars(payment_id=payment.id, hash=payment.subject):
            confirmation = await self._confirm(result)
        logger.info(
            "stk_success_confirmation",
            payment_id=payment.id,
            checkout=result.checkout,
            verdict=confirmation.verdict.value,
            reason=confirmation.reason,
        )
        return confirmation

    def _apply(self, payment: Payment, result: StkResult, confirmation: StkConfirmation | None) -> CallbackOutcome:
        now = self._clock.now()
        if confirmation is None:
            payment.settle(result, now)
            return CallbackOutcome.APPLIED
        if confirmation.verdict is Verdict.CONFIRMED:
            payment.settle(result, now, detail=f"{result.result_code}: {result.result_desc} (confirmed by STK query)")
            return CallbackOutcome.APPLIED
        if confirmation.verdict is Verdict.INCONCLUSIVE:
            payment.hold_unconfirmed_success(result, now, recheck_at=now + self._recheck_after)
            return CallbackOutcome.HELD
        payment.check_result(result)
        # Settled by the query's own answer, but only where the payment's ids came from Daraja's answer to the push,
        # not from an unverified callback.
        if confirmation.answer is not None and payment.checkout is not None:
            payment.settle_from_query(confirmation.answer, now, cause=ChangeCause.QUERY)
        return CallbackOutcome.REFUTED

    async def _find(self, callback_token: str, result: StkResult, journal_id: str | None) -> Payment:
        payment = await self._payments.by_callback_token(callback_token)
        if payment is None:
            await self._refuse("no payment has this callback URL", None, result, journal_id)
        return payment

    async def _published(self, payment: Payment, outcome: CallbackOutcome) -> None:
        if outcome is not CallbackOutcome.HELD:  # clients see nothing of a success not yet confirmed
            await self._announce(payment)

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
        self,
        reason: str,
        payment: Payment | None,
        result: StkResult,
        journal_id: str | None,
        kind: AnomalyKind = AnomalyKind.REJECTED,
    ) -> NoReturn:
        anomaly = stk_anomaly(kind, reason, payment, result, self._clock.now(), journal_id)
        await self._anomalies.record(anomaly)
        raise CallbackRejectedError(reason) if payment is not None else UnknownCallbackTokenError(reason)
