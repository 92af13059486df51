"""Daraja's answer to a B2C Transaction Status query, posted later to the query's ResultURL
(docs/daraja.md#transaction-status).

Where each field comes from in the posted `{"Result": {...}}` (as Safaricom's sample and the bundled simulator send
it; `P[Key]` is the `Value` of the item with that `Key` in `Result.ResultParameters.ResultParameter`):

- result_code, result_desc: `Result.ResultCode` (a number: normalise to str) and `Result.ResultDesc`. They say
  whether the *query* worked ("0"), not how the payout ended: 2001 = wrong initiator credentials; the simulator
  answers 404 "The transaction could not be found" (invented) for an unknown payout, with no ResultParameters.
- originator_conversation_id: `P[OriginatorConversationID]`, the ORIGINAL payout's. `Result.OriginatorConversationID`
  is the query's own id and must not be used. Absent when the query failed; the gateway also sends the payout's id
  as the query's `Occasion`, echoed in `Result.ReferenceData.ReferenceItem` (Key "Occasion").
- status: `P[TransactionStatus]`: "Completed", "Failed", "Expired" (queue time-out) or "Pending" in the simulator;
  real Daraja may use other words, so it stays text.
- receipt: `P[ReceiptNo]`; present for failed payouts too, so only a Completed status makes it a payment receipt.
- amount: `P[Amount]`: the string "300" in Safaricom's sample, a number elsewhere (docs/daraja.md).
- conversation_id: `P[ConversationID]`, the payout's ConversationID (`Result.ConversationID` is the query's).
- finalised_time: `P[FinalisedTime]`, YYYYMMDDHHmmss as a string or a number; an item without `Value` while
  pending.

The result names no result code of the payout itself: a "Failed" status does not say why.
"""

from dataclasses import dataclass

COMPLETED = "Completed"
QUERY_ANSWERED = "0"

# Transaction Status words that mean the payout ended without paying (docs/daraja.md#transaction-status; "Expired" is a
# queue time-out). Any other word but "Completed" ("Pending", or one real Daraja may use) settles nothing.
_NOT_COMPLETED_STATUSES = frozenset({"failed", "expired"})


def status_means_not_completed(status: str) -> bool:
    return status.strip().casefold() in _NOT_COMPLETED_STATUSES


@dataclass(frozen=True, slots=True)
class TransactionStatusResult:
    result_code: str
    result_desc: str
    originator_conversation_id: str | None = None
    status: str | None = None
    receipt: str | None = None
    amount: int | None = None
    conversation_id: str | None = None
    finalised_time: str | None = None

    def __post_init__(self) -> None:
        if not self.result_code:
            raise ValueError("a Transaction Status result carries a result code")
        if self.amount is not None and self.amount < 0:
            raise ValueError("a Transaction Status amount is never negative")

    @property
    def answered(self) -> bool:
        """Daraja found the payout and reported its state."""
        return self.result_code == QUERY_ANSWERED and self.status is not None

    @property
    def completed(self) -> bool:
        """The payout is known to have paid the customer."""
        return self.answered and self.status == COMPLETED
