"""Daraja does not sign its callbacks: a success callback is believed only once Daraja's own query agrees."""

from dataclasses import dataclass
from enum import StrEnum

from domain.shared.errors import DomainError
from domain.stk.payment import StkResult
from domain.stk.ports import PaymentProvider
from domain.stk.query import StkQueryAnswer
from domain.stk.result_codes import PaymentStatus


class Verdict(StrEnum):
    CONFIRMED = "confirmed"  # the query says success: apply the callback, with its receipt
    REFUTED = "refuted"  # the query says the push ended otherwise: never apply it
    INCONCLUSIVE = "inconclusive"  # no final answer (Daraja down, refusing, still processing): hold it


@dataclass(frozen=True, slots=True)
class StkConfirmation:
    """The verdict, why, and the query's final answer when there is one (REFUTED settles the payment by it)."""

    verdict: Verdict
    reason: str
    answer: StkQueryAnswer | None = None


class ConfirmStkSuccess:
    """Ask Daraja with an STK query whether the push a success callback names really succeeded."""

    def __init__(self, provider: PaymentProvider) -> None:
        self._provider = provider

    async def __call__(self, result: StkResult) -> StkConfirmation:
        try:
            answer = await self._provider.query_stk(result.checkout)
        except DomainError as error:
            return StkConfirmation(Verdict.INCONCLUSIVE, f"STK query failed: {error.message}")
        if answer.checkout != result.checkout:
            return StkConfirmation(Verdict.INCONCLUSIVE, "the STK query answer names another CheckoutRequestID")
        if answer.pending:
            return StkConfirmation(Verdict.INCONCLUSIVE, "Daraja is still processing the push")
        if answer.merchant_request and answer.merchant_request != result.merchant_request:
            return StkConfirmation(Verdict.REFUTED, "the STK query names another MerchantRequestID")
        if answer.status is PaymentStatus.SUCCESS:
            return StkConfirmation(Verdict.CONFIRMED, "the STK query says success", answer)
        reason = f"the STK query says {answer.status.value} ({answer.result_code}: {answer.result_desc or ''})"
        return StkConfirmation(Verdict.REFUTED, reason, answer)
