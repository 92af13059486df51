from enum import StrEnum

import structlog

from domain.b2c.ports import DailyAllowance, WithdrawalRepository
from domain.b2c.use_cases.announce_withdrawal import AnnounceWithdrawal
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.ports import Anomalies
from domain.callbacks.received_callback import CallbackKind
from domain.events.ports import Broadcaster
from domain.shared.errors import CallbackRejectedError, ConcurrentUpdateError, PaymentFinalError
from domain.shared.ports import Clock
from domain.shared.status_change import ChangeCause
from domain.shared.status_query import status_token_digest
from domain.shared.transaction_status import TransactionStatusResult

logger = structlog.get_logger()

_ATTEMPTS = 3


class StatusResultOutcome(StrEnum):
    """What a Transaction Status answer did to its withdrawal."""

    SETTLED = "settled"
    STILL_OPEN = "still_open"  # "Pending", or the query found nothing: the reconciler asks again later
    ALREADY_FINAL = "already_final"


class HandleTransactionStatusResult:
    """Settle the withdrawal a Transaction Status answer is about, named by the secret of the one query it has open.

    The secret is the query's own (never the payout's result token) and works once: an answer to a query never
    asked, already answered or superseded by a newer one, or naming another payout, is refused and changes nothing,
    so a forged "Completed" cannot mark an unpaid payout paid nor a forged "Failed" give the daily allowance back.

    A success Result held unconfirmed is confirmed by "Completed" and refuted by a not-completed answer (kept as an
    anomaly); the payout is never sent again either way, and a refuted one gives its daily allowance back.
    """

    def __init__(
        self,
        withdrawals: WithdrawalRepository,
        allowance: DailyAllowance,
        broadcaster: Broadcaster,
        clock: Clock,
        anomalies: Anomalies | None = None,
    ) -> None:
        self._withdrawals, self._clock = withdrawals, clock
        self._announce = AnnounceWithdrawal(allowance, broadcaster)
        self._anomalies = anomalies

    async def __call__(self, query_token: str, result: TransactionStatusResult) -> StatusResultOutcome:
        """Raises CallbackRejectedError, changing nothing, unless `query_token` is the secret of a query still open and
        the answer names the payout it asked about; every answer applied closes its query."""
        for _ in range(_ATTEMPTS):
            withdrawal = await self._withdrawals.by_status_query(status_token_digest(query_token))
            if withdrawal is None:
                raise CallbackRejectedError("no open Transaction Status query has this status URL")
            withdrawal.take_status_answer(query_token, result)
            before = withdrawal.status
            held = withdrawal.unconfirmed_success
            try:
                withdrawal.settle_from_status(result, self._clock.now(), cause=ChangeCause.RECONCILER)
            except PaymentFinalError:
                if not await self._saved(withdrawal):
                    continue
                return self._already_final(withdrawal, result)
            if not await self._saved(withdrawal):
                continue
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
            await self._announce(withdrawal)
            if held is not None and withdrawal.status is not WithdrawalStatus.SUCCESS:
                await self._refuted(withdrawal, held.receipt, result)
            logger.info(
                "b2c_reconciled",
                withdrawal_id=withdrawal.id,
                hash=withdrawal.subject,
                amount=withdrawal.amount.shillings,
                originator_conversation_id=withdrawal.originator_conversation_id,
                transaction_status=result.status,
                status=withdrawal.status.value,
                receipt=withdrawal.receipt,
            )
            return StatusResultOutcome.SETTLED
        raise ConcurrentUpdateError("withdrawal with status URL token kept changing under its status answer")

    async def query_timed_out(self, query_token: str) -> None:
        """Daraja's time-out notice for a query (its QueueTimeOutURL): nothing changes, and the reconciler asks again
        at its next check. Raises CallbackRejectedError unless `query_token` is the secret of a query still open."""
        withdrawal = await self._withdrawals.by_status_query(status_token_digest(query_token))
        if withdrawal is None:
            raise CallbackRejectedError("no open Transaction Status query has this time-out URL")
        logger.info("b2c_status_query_timed_out", withdrawal_id=withdrawal.id, status=withdrawal.status.value)

    async def _saved(self, withdrawal: Withdrawal) -> bool:
        """Store the answer (its query closed with it); False if the withdrawal changed since it was read."""
        try:
            await self._withdrawals.save(withdrawal)
        except ConcurrentUpdateError:
            return False
        return True

    async def _refuted(self, withdrawal: Withdrawal, receipt: str | None, result: TransactionStatusResult) -> None:
        reason = f"Transaction Status says {result.status}, not the success a Result reported (receipt {receipt})"
        logger.error("security_success_refuted", withdrawal_id=withdrawal.id, reason=reason)
        if self._anomalies is None:
            return
        anomaly = Anomaly(
            AnomalyKind.UNCONFIRMED_SUCCESS,
            CallbackKind.B2C_RESULT,
            reason,
            self._clock.now(),
            withdrawal_id=withdrawal.id,
            originator_conversation_id=withdrawal.originator_conversation_id,
            conversation_id=withdrawal.conversation_id,
            result_code="0",
            stored_status=withdrawal.status.value,
            stored_result_code=withdrawal.result_code,
        )
        await self._anomalies.record(anomaly)

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
