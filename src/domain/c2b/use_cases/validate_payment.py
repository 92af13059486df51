import asyncio
from datetime import timedelta

import structlog

from domain.c2b.confirmation import C2bTransaction
from domain.c2b.ports import PaymentRequests
from domain.c2b.validation import ACCEPT, ValidationCode, ValidationDecision, ValidationRule
from domain.shared.errors import DomainError
from domain.shared.ports import Clock

logger = structlog.get_logger()

# Daraja waits "usually under 8 seconds" for the answer, counted from when it sent the request; decide well inside.
VALIDATION_ANSWER_WITHIN = timedelta(seconds=2)


class ValidatePayment:
    """Answer Daraja's validation call by the merchant's rule, always in time.

    ACCEPT_ALL takes every payment. KNOWN_REFERENCES takes a Paybill payment only to the account reference of an open
    request; EXACT_AMOUNT also wants the amount the request asks for next. When the store does not answer within
    `answer_within` (or cannot be reached), `default` decides: M-PESA would otherwise apply the registered
    ResponseType, which the merchant chose for the gateway being unreachable, not for it being slow.
    """

    def __init__(
        self,
        requests: PaymentRequests,
        clock: Clock,
        rule: ValidationRule,
        *,
        shortcodes: frozenset[str] = frozenset(),
        default_accepts: bool = True,
        answer_within: timedelta = VALIDATION_ANSWER_WITHIN,
    ) -> None:
        self._requests, self._clock, self._rule = requests, clock, rule
        self._shortcodes, self._default_accepts, self._answer_within = shortcodes, default_accepts, answer_within

    async def __call__(self, transaction: C2bTransaction) -> ValidationDecision:
        try:
            decision = await asyncio.wait_for(self._decide(transaction), self._answer_within.total_seconds())
        except (TimeoutError, DomainError) as error:
            decision = self._default(type(error).__name__)
        log = logger.info if decision.accepted else logger.warning
        log(
            "c2b_validation_answered",
            result_code=decision.code.value,
            reason=decision.reason,
            by_default=decision.by_default,
            reference=transaction.reference,
            amount=transaction.amount,
            payer=transaction.payer.masked,
        )
        return decision

    async def _decide(self, transaction: C2bTransaction) -> ValidationDecision:
        if self._shortcodes and transaction.shortcode not in self._shortcodes:
            return ValidationDecision(ValidationCode.INVALID_SHORTCODE, "not a shortcode of this gateway")
        if transaction.amount <= 0:
            return ValidationDecision(ValidationCode.INVALID_AMOUNT, "no amount")
        if self._rule is ValidationRule.ACCEPT_ALL:
            return ACCEPT
        request = await self._requests.by_reference(transaction.reference)
        if request is None:
            return ValidationDecision(ValidationCode.INVALID_ACCOUNT_NUMBER, "no payment request has this reference")
        if not request.accepts_at(self._clock.now()) or self._clock.now() >= request.expires_at:
            return ValidationDecision(ValidationCode.INVALID_ACCOUNT_NUMBER, f"payment request {request.id} is closed")
        if self._rule is ValidationRule.EXACT_AMOUNT and not request.amount_fits(transaction.amount):
            return ValidationDecision(
                ValidationCode.INVALID_AMOUNT, f"payment request {request.id} wants another amount"
            )
        return ACCEPT

    def _default(self, cause: str) -> ValidationDecision:
        code = ValidationCode.ACCEPTED if self._default_accepts else ValidationCode.OTHER_ERROR
        return ValidationDecision(code, f"decided by default: {cause}", by_default=True)
