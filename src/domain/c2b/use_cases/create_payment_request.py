from dataclasses import dataclass
from datetime import datetime

import structlog

from domain.c2b.account_reference import AccountReference
from domain.c2b.payment_request import AmountRule, PaymentRequest
from domain.c2b.ports import PaymentRequests
from domain.c2b.use_cases.announce_c2b_change import AnnounceC2bChange
from domain.events.ports import Broadcaster
from domain.shared.amount import Amount
from domain.shared.errors import ValidationError
from domain.shared.merchant_data import Metadata
from domain.shared.ports import Clock, Identifiers

logger = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class CreatePaymentRequestCommand:
    subject: str
    account_reference: object
    amount_rule: object
    expires_at: datetime
    amount: object = None
    metadata: object = None


class CreatePaymentRequest:
    """Record a payment the merchant expects; customers pay it to the Paybill with its account reference."""

    def __init__(
        self, requests: PaymentRequests, broadcaster: Broadcaster, identifiers: Identifiers, clock: Clock
    ) -> None:
        self._requests, self._identifiers, self._clock = requests, identifiers, clock
        self._announce = AnnounceC2bChange(broadcaster)

    async def __call__(self, cmd: CreatePaymentRequestCommand) -> PaymentRequest:
        reference = AccountReference.parse(cmd.account_reference)
        rule = _rule(cmd.amount_rule)
        amount = None if cmd.amount is None else Amount.parse(cmd.amount).shillings
        metadata = None if cmd.metadata is None else Metadata.parse(cmd.metadata)
        request = PaymentRequest.create(
            self._identifiers.new_id(),
            cmd.subject,
            reference,
            rule,
            amount,
            cmd.expires_at,
            self._clock.now(),
            metadata,
        )
        await self._requests.add(request)
        await self._announce.request(request)
        logger.info("c2b_request_created", request_id=request.id, hash=request.subject, reference=reference.text)
        return request


def _rule(raw: object) -> AmountRule:
    if isinstance(raw, str) and raw in {rule.value for rule in AmountRule}:
        return AmountRule(raw)
    raise ValidationError("amount_rule", "must be one of: exact, minimum, open")
