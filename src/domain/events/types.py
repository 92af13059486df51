"""The event vocabulary: each state a record reaches is an event type, `<kind>.<what happened>`.

The type names the state reached, so every history entry is exactly one event. A record may reach the same type
twice (a pending payment Daraja accepted is `stk.pending` again, now with its CheckoutRequestID; a receipt arriving
after a success is `stk.succeeded` again): the event's `data` is the record as it stood after that change.
"""

import re
from dataclasses import dataclass

from domain.shared.errors import ValidationError

STK = "stk"
B2C = "b2c"
BALANCE = "balance"
# C2B: a customer's payment, stored once per receipt, and the payment request it may settle.
C2B_PAYMENT = "c2b.payment"
C2B_REQUEST = "c2b.request"
REVERSAL = "reversal"

_STATUS_WORDS = {"success": "succeeded"}

STK_STATUSES = ("pending", "success", "failed", "cancelled", "timeout")
B2C_STATUSES = ("queued", "submitted", "success", "failed", "rejected", "timeout")
# An account's balance crossing the low-balance threshold, one way or the other (domain.balances.account_state).
BALANCE_STATUSES = ("low", "recovered")
# `reversed` once a reversal gave the payment back (docs/reversals.md).
C2B_PAYMENT_STATUSES = ("received", "reversed")
# Only a request's final states are events: an open request's partial sums are not news. A final state is reached
# once, unless a reversal of one of its payments settles the request again (docs/c2b.md#reversed-payments).
C2B_REQUEST_STATUSES = ("paid", "overpaid", "underpaid", "expired")
# A reversal of a completed payment (domain.reversals.reversal): `reversal.reversed` once M-PESA gave the money back.
REVERSAL_STATUSES = ("requested", "unknown", "sent", "reversed", "failed")
RECORD_KINDS = {
    STK: STK_STATUSES,
    B2C: B2C_STATUSES,
    BALANCE: BALANCE_STATUSES,
    C2B_PAYMENT: C2B_PAYMENT_STATUSES,
    C2B_REQUEST: C2B_REQUEST_STATUSES,
    REVERSAL: REVERSAL_STATUSES,
}


def event_type(kind: str, status: str) -> str:
    """`stk.succeeded` for an STK payment that reached `success`; every other status keeps its own word."""
    if status not in RECORD_KINDS[kind]:
        raise ValueError(f"{kind} records have no status {status!r}")
    return f"{kind}.{_STATUS_WORDS.get(status, status)}"


EVENT_TYPES = tuple(event_type(kind, status) for kind, statuses in RECORD_KINDS.items() for status in statuses)

_PATTERN = re.compile(r"^(\*|(stk|b2c|balance|c2b|reversal)\.(\*|[a-z_]+(\.[a-z_]+)?))$")
MAXIMUM_PATTERNS = 32


@dataclass(frozen=True, slots=True)
class TypeFilter:
    """Which event types an endpoint or a feed reader wants: exact types, `stk.*` / `b2c.*` / `balance.*` /
    `c2b.*` / `reversal.*`, or `*` for all."""

    patterns: tuple[str, ...]

    @classmethod
    def parse(cls, patterns: list[str] | tuple[str, ...], field: str = "event_types") -> "TypeFilter":
        if not patterns:
            raise ValidationError(field, "name at least one event type, or `*`")
        if len(patterns) > MAXIMUM_PATTERNS:
            raise ValidationError(field, f"at most {MAXIMUM_PATTERNS} event types")
        for pattern in patterns:
            if not _PATTERN.match(pattern) or (not pattern.endswith("*") and pattern not in EVENT_TYPES):
                raise ValidationError(
                    field, f"{pattern!r} is not an event type (see docs/webhooks-and-events.md), nor `*`"
                )
        return cls(tuple(dict.fromkeys(patterns)))

    @classmethod
    def everything(cls) -> "TypeFilter":
        return cls(("*",))

    def wants(self, type_: str) -> bool:
        kind = type_.split(".", 1)[0]
        return any(pattern in ("*", type_, f"{kind}.*") for pattern in self.patterns)
