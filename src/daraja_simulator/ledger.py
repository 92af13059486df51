"""What the simulator remembers, in memory only: issued tokens, STK pushes, B2C payouts and the counters tests
read to prove the gateway sent each request exactly once.

Everything runs on one event loop and no method awaits, so each check-then-record is atomic without locks.
"""

import time
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from daraja_simulator.balances import CHARGES_PAID, UTILITY, WORKING, SimulatedBalances
from daraja_simulator.scenarios import UTILITY_TOO_LOW, Delivery, Scenario

REVERSAL_DONE = "0"
REVERSAL_ALREADY_DONE = "R000001"
REVERSAL_UNKNOWN_RECEIPT = "R000002"
REVERSAL_INSUFFICIENT_FUNDS = "1"
# What a payout costs the shortcode, in cents: drawn from the Charges Paid Account.
PAYOUT_FEE_CENTS = 22_40


@dataclass(slots=True)
class StkTransaction:
    merchant_request_id: str
    checkout_request_id: str
    phone: str
    amount: int
    scenario: Scenario
    settled: bool = False
    receipt: str | None = None  # set when it settles as paid


@dataclass(slots=True)
class Payout:
    originator_conversation_id: str
    conversation_id: str
    party_a: str
    command_id: str
    recipient: str
    amount: int
    receipt: str
    initiated_at: datetime
    scenario: Scenario  # the amount's scenario, or INVALID_INITIATOR when the credentials were wrong
    settled_at: datetime | None = None

    @property
    def status(self) -> str:
        """Transaction Status' TransactionStatus for this payout."""
        if self.settled_at is None:
            return "Pending"
        if self.scenario.money_moves:
            return "Completed"
        if self.scenario.delivery is Delivery.QUEUE_TIMEOUT:
            return "Expired"
        return "Failed"


@dataclass(slots=True)
class SimulatedReversal:
    """A reversal the simulator accepted, as Transaction Status reports it: by Daraja's OriginatorConversationID."""

    originator_conversation_id: str
    conversation_id: str
    receiver: str
    original_receipt: str
    amount: int
    receipt: str
    initiated_at: datetime
    result_code: str | None = None
    settled_at: datetime | None = None
    timed_out: bool = False  # it expired in Daraja's queue: nothing was reversed

    @property
    def status(self) -> str:
        if self.timed_out:
            return "Expired"
        if self.result_code is None:
            return "Pending"
        return "Completed" if self.result_code == REVERSAL_DONE else "Failed"


@dataclass(frozen=True, slots=True)
class Funds:
    utility: float
    working: float
    charges_paid: float


@dataclass(slots=True)
class Ledger:
    _tokens: dict[str, float] = field(default_factory=dict)  # token → monotonic expiry
    _stk: dict[str, StkTransaction] = field(default_factory=dict)
    _locked_phones: dict[str, str] = field(default_factory=dict)  # phone → CheckoutRequestID still pending
    _payouts: dict[str, Payout] = field(default_factory=dict)
    _payouts_by_receipt: dict[str, Payout] = field(default_factory=dict)
    # Paid STK pushes by their receipt, and the receipts reversed since: what a Transaction Reversal is checked against.
    _paid_by_receipt: dict[str, StkTransaction] = field(default_factory=dict)
    _reversed_receipts: set[str] = field(default_factory=set)
    reversal_requests_per_receipt: Counter[str] = field(default_factory=Counter)
    _reversals: dict[str, SimulatedReversal] = field(default_factory=dict)
    # The accounts an Account Balance query reports; payments and payouts move them (daraja_simulator.balances).
    balances: SimulatedBalances = field(default_factory=SimulatedBalances)
    stk_pushes_total: int = 0
    stk_pushes_per_phone: Counter[str] = field(default_factory=Counter)
    b2c_requests_total: int = 0
    b2c_requests_per_originator: Counter[str] = field(default_factory=Counter)
    callbacks_sent: int = 0
    tokens_issued: int = 0
    callbacks_failed: int = 0
    # Every request to a Daraja path, counted on arrival: faults may answer it before any handler sees it.
    daraja_requests_per_path: Counter[str] = field(default_factory=Counter)

    def count_request(self, path: str) -> None:
        self.daraja_requests_per_path[path] += 1

    # Tokens -----------------------------------------------------------------------------------------------

    def issue_token(self, token: str, ttl_seconds: int) -> None:
        self.tokens_issued += 1
        # Earlier tokens stay valid until they expire: a gateway running several workers may each hold one.
        self._tokens[token] = time.monotonic() + ttl_seconds

    def token_is_valid(self, token: str) -> bool:
        expiry = self._tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def expire_tokens(self) -> None:
        self._tokens.clear()

    # STK push ---------------------------------------------------------------------------------------------

    def count_stk_push(self, phone: str | None) -> None:
        self.stk_pushes_total += 1
        if phone is not None:
            self.stk_pushes_per_phone[phone] += 1

    def phone_is_locked(self, phone: str) -> bool:
        return phone in self._locked_phones

    def has_checkout(self, checkout_request_id: str) -> bool:
        return checkout_request_id in self._stk

    def record_stk(self, transaction: StkTransaction) -> None:
        self._stk[transaction.checkout_request_id] = transaction
        self._locked_phones[transaction.phone] = transaction.checkout_request_id

    def stk(self, checkout_request_id: str) -> StkTransaction | None:
        return self._stk.get(checkout_request_id)

    def settle_stk(self, checkout_request_id: str, receipt: str) -> None:
        transaction = self._stk.get(checkout_request_id)
        if transaction is None:  # forgotten by a reset meanwhile
            return
        transaction.settled = True
        if transaction.scenario.money_moves:
            transaction.receipt = receipt
            self._paid_by_receipt[receipt] = transaction
            self.balances.move(WORKING, transaction.amount * 100)
        if self._locked_phones.get(transaction.phone) == checkout_request_id:
            del self._locked_phones[transaction.phone]

    # B2C --------------------------------------------------------------------------------------------------

    def count_b2c_request(self, originator_conversation_id: str | None) -> None:
        self.b2c_requests_total += 1
        if originator_conversation_id is not None:
            self.b2c_requests_per_originator[originator_conversation_id] += 1

    def attribute_b2c_request(self, originator_conversation_id: str) -> None:
        """B2C v1 requests carry no id of their own: counted by the one Daraja gives them once accepted."""
        self.b2c_requests_per_originator[originator_conversation_id] += 1

    def has_payout(self, originator_conversation_id: str) -> bool:
        return originator_conversation_id in self._payouts

    def record_payout(self, payout: Payout) -> None:
        self._payouts[payout.originator_conversation_id] = payout
        self._payouts_by_receipt[payout.receipt] = payout

    def find_payout(self, originator_conversation_id: str | None, receipt: str | None) -> Payout | None:
        if originator_conversation_id and originator_conversation_id in self._payouts:
            return self._payouts[originator_conversation_id]
        if receipt:
            return self._payouts_by_receipt.get(receipt)
        return None

    def settle_payout(self, payout: Payout, moment: datetime) -> Funds:
        """Records the outcome and, when money moved, draws the B2C account down; returns the balances after."""
        if payout.settled_at is None:
            payout.settled_at = moment
            uncovered = self.balances.available(UTILITY) < payout.amount * 100  # the fee is the Charges Paid Account's
            if payout.scenario.money_moves and uncovered:
                payout.scenario = UTILITY_TOO_LOW  # as Daraja: accepted, then a Result with ResultCode 1
            if payout.scenario.money_moves:
                self.balances.move(UTILITY, -payout.amount * 100)
                self.balances.move(CHARGES_PAID, -PAYOUT_FEE_CENTS)
        balances = self.balances
        return Funds(balances.shillings(UTILITY), balances.shillings(WORKING), balances.shillings(CHARGES_PAID))

    # Transaction Reversal ---------------------------------------------------------------------------------

    def count_reversal_request(self, receipt: str) -> None:
        self.reversal_requests_per_receipt[receipt] += 1

    def record_reversal(self, reversal: SimulatedReversal) -> None:
        self._reversals[reversal.originator_conversation_id] = reversal

    def find_reversal(self, originator_conversation_id: str | None) -> SimulatedReversal | None:
        return None if originator_conversation_id is None else self._reversals.get(originator_conversation_id)

    def paid_push(self, receipt: str) -> StkTransaction | None:
        return self._paid_by_receipt.get(receipt)

    def reverse(self, receipt: str, amount: int) -> str:
        """Reverse the paid push with this receipt, taking its amount back out of the Working Account it went to;
        the result code: "0" reversed, R000001 already reversed, R000002 no such receipt, "1" the account cannot
        cover it (docs/daraja.md#transaction-reversal)."""
        transaction = self._paid_by_receipt.get(receipt)
        if transaction is None or transaction.amount != amount:
            return REVERSAL_UNKNOWN_RECEIPT
        if receipt in self._reversed_receipts:
            return REVERSAL_ALREADY_DONE
        if self.balances.available(WORKING) < amount * 100:
            return REVERSAL_INSUFFICIENT_FUNDS
        self._reversed_receipts.add(receipt)
        self.balances.move(WORKING, -amount * 100)
        return REVERSAL_DONE

    # Control ----------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forgets transactions, payouts and counters; balances go back to their opening amounts. Tokens survive, so
        a running gateway stays logged in; use expire_tokens() for that."""
        fresh = Ledger(_tokens=self._tokens, balances=SimulatedBalances(dict(self.balances.opening)))
        for each in fields(self):
            setattr(self, each.name, getattr(fresh, each.name))

    def stats(self, scheduled_deliveries: int) -> dict[str, Any]:
        return {
            "oauth_tokens_issued": self.tokens_issued,
            "daraja_requests": {
                "total": sum(self.daraja_requests_per_path.values()),
                "per_path": dict(self.daraja_requests_per_path),
            },
            "stk_push_requests": {"total": self.stk_pushes_total, "per_phone": dict(self.stk_pushes_per_phone)},
            "b2c_payment_requests": {
                "total": self.b2c_requests_total,
                "per_originator_conversation_id": dict(self.b2c_requests_per_originator),
            },
            "reversal_requests": {
                "total": sum(self.reversal_requests_per_receipt.values()),
                "per_receipt": dict(self.reversal_requests_per_receipt),
            },
            "callbacks": {
                "sent": self.callbacks_sent,
                "failed": self.callbacks_failed,
                "scheduled": scheduled_deliveries,
            },
        }
