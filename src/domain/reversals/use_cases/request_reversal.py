import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from domain.reversals.errors import ReversalNotCompletedError, ReversalPaymentNotFoundError
from domain.reversals.ports import Reversals, ReversibleC2bPayments, ReversiblePayments
from domain.reversals.receipt import parse_receipt
from domain.reversals.reversal import PaymentKind, Reversal
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import ValidationError
from domain.shared.idempotency import KeyedRequest, store_unless_repeated
from domain.shared.ports import Clock, IdempotencyKeys, Identifiers
from domain.stk.result_codes import PaymentStatus

logger = structlog.get_logger()

# Reversals are asked for by the merchant's server, not per client subject: one key space for the whole gateway.
REVERSAL_SCOPE = "reversal"
_KEY_SPACE = "merchant"
# Daraja's Remarks take 2–100 characters (docs/daraja.md#transaction-reversal); Description caps the length.
_SHORTEST_REASON = 2


@dataclass(frozen=True, slots=True)
class ReverseCommand:
    receipt: object
    reason: object
    idempotency_key: str | None = None


class RequestReversal:
    """Check the payment may be reversed and record the reversal for the worker, before Daraja hears of it.

    The payment is the STK payment with this receipt or, when none has it, the C2B payment with this TransID. The
    amount is always the original payment's: M-PESA reverses whole transactions. A refused request leaves
    nothing behind (not stored, its key not kept); one that repeats an earlier one's idempotency key with the same
    body gets that reversal back.
    """

    def __init__(
        self,
        reversals: Reversals,
        payments: ReversiblePayments,
        clock: Clock,
        identifiers: Identifiers,
        keys: IdempotencyKeys,
        on_requested: Callable[[], None] | None = None,
        c2b_payments: ReversibleC2bPayments | None = None,
    ) -> None:
        self._reversals, self._payments, self._clock = reversals, payments, clock
        self._identifiers, self._keys, self._on_requested = identifiers, keys, on_requested
        self._c2b_payments = c2b_payments

    async def __call__(self, command: ReverseCommand) -> Reversal:
        receipt = parse_receipt(command.receipt)
        reason = _reason(command.reason)
        target = await self._target(receipt)
        reversal = Reversal.start(
            reversal_id=self._identifiers.new_id(),
            receipt=receipt,
            amount=target.amount,
            reason=reason,
            subject=target.subject,
            payment_id=target.payment_id,
            callback_token=self._identifiers.new_secret(),
            now=self._clock.now(),
            idempotency_key=command.idempotency_key,
            payment_kind=target.kind,
            receiver_party=target.receiver_party,
        )
        original = await store_unless_repeated(
            self._keys,
            _keyed(command.idempotency_key, receipt, reason),
            reversal.id,
            reversal.created_at,
            store=lambda: self._reversals.add(reversal),
            find_original=self._reversals.by_id,
        )
        if original is not None:
            logger.info("reversal_repeated", reversal_id=original.id, receipt=receipt)
            return original
        logger.info(
            "reversal_requested",
            reversal_id=reversal.id,
            receipt=receipt,
            payment_id=reversal.payment_id,
            payment_kind=reversal.payment_kind.value,
            hash=reversal.subject,
            amount=reversal.amount.shillings,
        )
        if self._on_requested is not None:
            self._on_requested()
        return reversal

    async def _target(self, receipt: str) -> "_Target":
        payment = await self._payments.by_receipt(receipt)
        if payment is not None:
            if payment.status is not PaymentStatus.SUCCESS:
                raise ReversalNotCompletedError(receipt, payment.status.value)
            return _Target(PaymentKind.STK, payment.id, payment.subject, payment.amount)
        c2b = None if self._c2b_payments is None else await self._c2b_payments.by_trans_id(receipt)
        if c2b is None:
            raise ReversalPaymentNotFoundError(receipt)
        # A stored confirmation is money that arrived: always complete. Its subject is its request's; an unmatched
        # payment has none (docs/reversals.md#who-may-reverse-what).
        # Reversed for the shortcode the customer paid, which may not be the STK one the gateway reverses for.
        transaction = c2b.transaction
        return _Target(
            PaymentKind.C2B, c2b.trans_id, c2b.subject or "", Amount(transaction.amount), transaction.shortcode
        )


@dataclass(frozen=True, slots=True)
class _Target:
    """The payment a reversal refunds, whichever kind it is."""

    kind: PaymentKind
    payment_id: str
    subject: str
    amount: Amount
    receiver_party: str | None = None


def _reason(raw: object) -> Description:
    reason = Description.parse(raw, "reason")
    if len(reason.text) < _SHORTEST_REASON:
        raise ValidationError("reason", f"must be at least {_SHORTEST_REASON} characters")
    return reason


def _keyed(key: str | None, receipt: str, reason: Description) -> KeyedRequest | None:
    if key is None:
        return None
    canonical = json.dumps(["reverse", receipt, reason.text], separators=(",", ":"))
    return KeyedRequest(REVERSAL_SCOPE, _KEY_SPACE, key, hashlib.sha256(canonical.encode()).hexdigest())
