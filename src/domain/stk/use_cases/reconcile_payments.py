from collections.abc import Callable
from datetime import timedelta

import structlog

from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.ports import Anomalies
from domain.callbacks.received_callback import CallbackKind
from domain.events.ports import Broadcaster
from domain.shared.check_schedule import BACKOFF_FACTOR, JITTER, MAX_CHECK_DELAY, STK_FIRST_CHECK_AFTER, CheckSchedule
from domain.shared.errors import (
    ConcurrentUpdateError,
    DomainError,
    PaymentFinalError,
    ProviderUnavailableError,
    StoreUnavailableError,
)
from domain.shared.ports import Clock, RandomSource
from domain.shared.status_change import ChangeCause
from domain.stk.payment import Payment
from domain.stk.ports import PaymentProvider, PaymentRepository
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.announce_payment import AnnouncePayment

logger = structlog.get_logger()

_ATTEMPTS = 3


class ReconcileStkPayments:
    """Settle, by STK query, pending payments whose callback has not come (docs/daraja.md#stk-push-query); never push
    again.

    Each due payment is first claimed: its next check is pushed back (capped exponential back-off with jitter) in a
    save conditional on the version read, so of several reconcilers, in one process or many, exactly one queries it
    this round and the others move on. A pending answer leaves it to the next check; a final one settles it,
    unless a callback settled it meanwhile: the stored final state wins, a recorded success above all. A success
    callback held unconfirmed is confirmed by a success answer (its receipt applied) and refuted by any other final
    one (kept as an anomaly).
    """

    def __init__(
        self,
        payments: PaymentRepository,
        provider: PaymentProvider,
        broadcaster: Broadcaster,
        clock: Clock,
        random: RandomSource,
        *,
        initial_delay_seconds: float = STK_FIRST_CHECK_AFTER.total_seconds(),
        max_delay_seconds: float = MAX_CHECK_DELAY.total_seconds(),
        backoff_factor: float = BACKOFF_FACTOR,
        jitter: float = JITTER,
        on_settled: Callable[[], None] | None = None,
        anomalies: Anomalies | None = None,
    ) -> None:
        self._payments, self._provider, self._announce = payments, provider, AnnouncePayment(broadcaster)
        self._on_settled, self._anomalies = on_settled, anomalies
        self._clock, self._random = clock, random
        self._schedule = CheckSchedule(
            timedelta(seconds=initial_delay_seconds), timedelta(seconds=max_delay_seconds), backoff_factor, jitter
        )

    async def __call__(self, limit: int) -> int:
        """Claim and query up to `limit` due payments; the number claimed. Stops the round early while Daraja is
        unavailable (the rest stay due); StoreUnavailableError stops it too and propagates."""
        claimed_count = 0
        for payment in await self._payments.due_for_check(self._clock.now(), limit):
            claimed = await self._claim(payment)
            if claimed is None:
                continue
            claimed_count += 1
            try:
                await self._check(claimed)
            except ProviderUnavailableError as error:
                logger.warning("stk_reconcile_paused", payment_id=claimed.id, reason=error.message)
                return claimed_count
            except StoreUnavailableError:
                raise
            except DomainError as error:
                # Refused by Daraja (e.g. an unknown CheckoutRequestID) or an answer naming another push: the claim
                # already moved the next check, so it is asked again later rather than in a tight loop.
                logger.warning(
                    "stk_reconcile_failed", payment_id=claimed.id, checkout=claimed.checkout, reason=error.message
                )
        return claimed_count

    async def _claim(self, payment: Payment) -> Payment | None:
        now = self._clock.now()
        try:
            payment.schedule_check(self._schedule.next_check(now, payment.check_attempts, self._spread()))
            await self._payments.save(payment)
        except (ConcurrentUpdateError, PaymentFinalError):
            # Another reconciler claimed it, or its callback settled it, since it was read: not ours this round.
            return None
        return payment

    async def _check(self, payment: Payment) -> None:
        assert payment.checkout is not None  # due payments have one: schedule_check refused any other
        with structlog.contextvars.bound_contextvars(payment_id=payment.id, hash=payment.subject):
            answer = await self._provider.query_stk(payment.checkout)
        if answer.pending:
            logger.info(
                "stk_reconcile_pending",
                payment_id=payment.id,
                checkout=payment.checkout,
                check_attempts=payment.check_attempts,
                next_check_at=payment.next_check_at.isoformat() if payment.next_check_at else None,
            )
            return
        await self._settle(payment, answer)

    async def _settle(self, payment: Payment, answer: StkQueryAnswer) -> None:
        for _ in range(_ATTEMPTS):
            held = payment.unconfirmed_success
            try:
                payment.settle_from_query(answer, self._clock.now(), cause=ChangeCause.QUERY)
            except PaymentFinalError:
                self._already_final(payment, answer)
                return
            try:
                await self._payments.save(payment)
            except ConcurrentUpdateError:
                # Most likely its callback landed between the query and this save: decide again on what is stored.
                stored = await self._payments.by_callback_token(payment.callback_token)
                if stored is None:
                    raise
                payment = stored
                continue
            await self._announce(payment)
            if held is not None and payment.status is not PaymentStatus.SUCCESS:
                await self._refuted(payment, held.receipt)
            logger.info(
                "stk_reconciled",
                payment_id=payment.id,
                hash=payment.subject,
                checkout=payment.checkout,
                result_code=answer.result_code,
                status=payment.status.value,
                check_attempts=payment.check_attempts,
            )
            if self._on_settled is not None:
                self._on_settled()
            return
        raise ConcurrentUpdateError(f"payment {payment.id} kept changing while its query answer was recorded")

    async def _refuted(self, payment: Payment, receipt: str | None) -> None:
        reason = f"the STK query says {payment.status.value}, not the success a callback reported (receipt {receipt})"
        logger.error("security_success_refuted", payment_id=payment.id, checkout=payment.checkout, reason=reason)
        if self._anomalies is None:
            return
        anomaly = Anomaly(
            AnomalyKind.UNCONFIRMED_SUCCESS,
            CallbackKind.STK,
            reason,
            self._clock.now(),
            payment_id=payment.id,
            checkout=payment.checkout,
            merchant_request=payment.merchant_request,
            result_code="0",
            stored_status=payment.status.value,
            stored_result_code=payment.result_code,
        )
        await self._anomalies.record(anomaly)

    @staticmethod
    def _already_final(payment: Payment, answer: StkQueryAnswer) -> None:
        logger.warning(
            "stk_query_after_final",
            payment_id=payment.id,
            checkout=payment.checkout,
            status=payment.status.value,
            stored_result_code=payment.result_code,
            result_code=answer.result_code,
            agrees=payment.result_code == answer.result_code,
        )

    def _spread(self) -> float:
        return self._random.uniform(-1.0, 1.0)
