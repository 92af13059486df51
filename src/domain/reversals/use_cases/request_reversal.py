import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from domain.reversals.errors import ReversalNotCompletedError, ReversalPaymentNotFoundError
from domain.reversals.ports import Reversals, ReversiblePayments
from domain.reversals.receipt import parse_receipt
from domain.reversals.reversal import Reversal
from domain.shared.description import Description
from domain.shared.errors import ValidationError
from domain.shared.idempotency import KeyedRequest, store_unless_repeated
from domain.shared.ports import Clock, IdempotencyKeys, Identifiers
from domain.stk.result_codes import PaymentStatus

logger = structlog.get_logger()

# Reversals are asked for by the merchant's server, not per client hash: one key space for the whole gateway.
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

    The amount is always the original payment's: M-PESA reverses whole transactions. A refused request leaves
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
    ) -> None:
        self._reversals, self._payments, self._clock = reversals, payments, clock
        self._identifiers, self._keys, self._on_requested = identifiers, keys, on_requested

    async def __call__(self, command: ReverseCommand) -> Reversal:
        receipt = parse_receipt(command.receipt)
        reason = _reason(command.reason)
        payment = await self._payments.by_receipt(receipt)
        if payment is None:
            raise ReversalPaymentNotFoundError(receipt)
        if payment.status is not PaymentStatus.SUCCESS:
            raise ReversalNotCompletedError(receipt, payment.status.value)
        reversal = Reversal.start(
            reversal_id=self._identifiers.new_id(),
            receipt=receipt,
            amount=payment.amount,
            reason=reason,
            hash_=payment.hash,
            payment_id=payment.id,
            callback_token=self._identifiers.new_secret(),
            now=self._clock.now(),
            idempotency_key=command.idempotency_key,
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
            payment_id=payment.id,
            hash=payment.hash,
            amount=reversal.amount.shillings,
        )
        if self._on_requested is not None:
            self._on_requested()
        return reversal


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
