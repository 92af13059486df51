from datetime import timedelta
from typing import NoReturn

import structlog

from domain.b2c.callback_anomalies import b2c_anomaly, b2c_disagreement
from domain.b2c.ports import DailyAllowance, PayoutProvider, WithdrawalRepository
from domain.b2c.result_codes import b2c_result_meaning
from domain.b2c.use_cases.announce_withdrawal import AnnounceWithdrawal
from domain.b2c.withdrawal import B2cResult, Withdrawal, WithdrawalStatus
from domain.callbacks.anomaly import AnomalyKind, Severity
from domain.callbacks.outcome import CallbackOutcome
from domain.callbacks.ports import Anomalies
from domain.callbacks.received_callback import CallbackInHand
from domain.events.ports import Broadcaster
from domain.shared.check_schedule import B2C_FIRST_CHECK_AFTER
from domain.shared.errors import (
    CallbackRejectedError,
    ConcurrentUpdateError,
    DomainError,
    PaymentFinalError,
    UnknownCallbackTokenError,
)
from domain.shared.ports import Clock, Identifiers
from domain.shared.status_query import StatusQueryRequest

logger = structlog.get_logger()

_ATTEMPTS = 3


class HandleB2cResult:
    """Apply Daraja's Result, or its queue time-out notice, to the one withdrawal its secret URL token names.

    A repeat for a withdrawal past that step changes nothing and is acknowledged; one that disagrees with the stored
    result, and every refused callback, is kept as an anomaly (`journal_id` says where the callback as received is).

    With `confirm` (CONFIRM_SUCCESS_CALLBACKS), a success Result that passes every check is held on the withdrawal
    and Daraja's Transaction Status is asked about it; HandleTransactionStatusResult applies or refutes it when the
    answer arrives, and the reconciler asks again from `recheck_after` should it not. Nothing is ever sent again.
    """

    def __init__(
        self,
        withdrawals: WithdrawalRepository,
        allowance: DailyAllowance,
        broadcaster: Broadcaster,
        clock: Clock,
        anomalies: Anomalies,
        *,
        confirm: PayoutProvider | None = None,
        identifiers: Identifiers | None = None,
        recheck_after: timedelta = B2C_FIRST_CHECK_AFTER,
    ) -> None:
        if confirm is not None and identifiers is None:
            raise ValueError("confirming successes opens status queries, whose secrets need identifiers")
        self._withdrawals = withdrawals
        self._announce = AnnounceWithdrawal(allowance, broadcaster)
        self._clock, self._anomalies = clock, anomalies
        self._confirm, self._identifiers, self._recheck_after = confirm, identifiers, recheck_after

    async def __call__(
        self,
        callback_token: str,
        result: B2cResult,
        queue_timeout: bool,
        journal_id: str | None = None,
        in_hand: CallbackInHand | None = None,
    ) -> CallbackOutcome:
        """`in_hand`, the callback as received: kept in the withdrawal by the write that applies it (the
        withdrawal's first callback to change it), and marked so; any other is left for the caller to journal."""
        journal_id = in_hand.journal_id if in_hand is not None else journal_id
        for _ in range(_ATTEMPTS):
            withdrawal = await self._withdrawals.by_callback_token(callback_token)
            if withdrawal is None:
                await self._refuse("no withdrawal has this result URL", None, result, queue_timeout, journal_id)
            now = self._clock.now()
            held = self._needs_confirmation(result, queue_timeout)
            query: StatusQueryRequest | None = None
            try:
                if queue_timeout:
                    withdrawal.time_out(result, now)
                elif held:
                    withdrawal.hold_unconfirmed_success(result, now, recheck_at=now + self._recheck_after)
                    query = withdrawal.open_status_query(self._new_secret(), now)
                else:
                    withdrawal.settle(result, now)
            except PaymentFinalError:
                return await self._duplicate(withdrawal, result, queue_timeout, journal_id)
            except CallbackRejectedError as error:
                await self._refuse(error.message, withdrawal, result, queue_timeout, journal_id)
            if in_hand is not None:
                withdrawal.applied_callback = in_hand.fold_into(withdrawal.applied_callback)
            try:
                await self._withdrawals.save(withdrawal)
            except ConcurrentUpdateError:
                continue
            if in_hand is not None:
                in_hand.kept_with_record = in_hand.folded(withdrawal.applied_callback)
            if query is not None:
                await self._ask_transaction_status(withdrawal, query)
                return CallbackOutcome.HELD
            await self._announce(withdrawal)
            logger.info(
                "b2c_result_applied",
                withdrawal_id=withdrawal.id,
                hash=withdrawal.subject,
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

    def _needs_confirmation(self, result: B2cResult, queue_timeout: bool) -> bool:
        paid = b2c_result_meaning(result.result_code).status is WithdrawalStatus.SUCCESS
        return self._confirm is not None and paid and not queue_timeout

    def _new_secret(self) -> str:
        assert self._identifiers is not None
        return self._identifiers.new_secret()

    async def _ask_transaction_status(self, withdrawal: Withdrawal, query: StatusQueryRequest) -> None:
        """Ask now; if Daraja cannot be asked, the held success waits for the reconciler's check."""
        assert self._confirm is not None
        logger.info(
            "b2c_result_held",
            withdrawal_id=withdrawal.id,
            hash=withdrawal.subject,
            originator_conversation_id=withdrawal.originator_conversation_id,
            status=withdrawal.status.value,
        )
        try:
            with structlog.contextvars.bound_contextvars(withdrawal_id=withdrawal.id, hash=withdrawal.subject):
                await self._confirm.request_transaction_status(query)
        except DomainError as error:
            logger.warning("b2c_confirmation_deferred", withdrawal_id=withdrawal.id, reason=error.message)

    async def _duplicate(
        self, withdrawal: Withdrawal, result: B2cResult, queue_timeout: bool, journal_id: str | None
    ) -> CallbackOutcome:
        disagreement = b2c_disagreement(withdrawal, result, queue_timeout)
        if disagreement is not None and disagreement.kind is AnomalyKind.REJECTED:
            await self._refuse(disagreement.reason, withdrawal, result, queue_timeout, journal_id)
        critical = disagreement is not None and disagreement.kind.severity is Severity.CRITICAL
        (logger.error if critical else logger.warning)(
            "b2c_result_duplicate",
            withdrawal_id=withdrawal.id,
            originator_conversation_id=withdrawal.originator_conversation_id,
            status=withdrawal.status.value,
            stored_result_code=withdrawal.result_code,
            result_code=result.result_code,
            queue_timeout=queue_timeout,
            agrees=disagreement is None,
            anomaly=None if disagreement is None else disagreement.kind.value,
        )
        if disagreement is not None:
            at = self._clock.now()
            anomaly = b2c_anomaly(
                disagreement.kind, disagreement.reason, withdrawal, result, queue_timeout, at, journal_id
            )
            await self._anomalies.record(anomaly)
        return CallbackOutcome.DUPLICATE

    async def _refuse(
        self,
        reason: str,
        withdrawal: Withdrawal | None,
        result: B2cResult,
        queue_timeout: bool,
        journal_id: str | None,
    ) -> NoReturn:
        at = self._clock.now()
        await self._anomalies.record(
            b2c_anomaly(AnomalyKind.REJECTED, reason, withdrawal, result, queue_timeout, at, journal_id)
        )
        raise CallbackRejectedError(reason) if withdrawal is not None else UnknownCallbackTokenError(reason)
