"""The one Transaction Status query a withdrawal has open, and what the provider needs to ask it.

Each query gets its own single-use secret in its ResultURL and QueueTimeOutURL, never the payout's own token: an
answer is applied only on the secret of the query still open, and a newer query or the answer itself closes it.
Only a digest of the secret is stored, so the stored record alone cannot forge an answer.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime


def status_token_digest(token: str) -> str:
    """How a query's secret is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class OpenStatusQuery:
    """A query asked and not yet answered: the digest of its secret and when it was opened."""

    token_digest: str
    asked_at: datetime

    def is_named_by(self, token: str) -> bool:
        return hmac.compare_digest(self.token_digest, status_token_digest(token))


@dataclass(frozen=True, slots=True)
class StatusQueryRequest:
    """Ask M-PESA how one payout stands; the answer comes to the status URLs that `callback_token` names."""

    originator_conversation_id: str
    callback_token: str
    # The M-PESA receipt, when a Result has reported one: sent as TransactionID alongside the payout's id.
    receipt: str | None = None
    # The shortcode asked about (PartyA), when not the client's configured one: a C2B payment's reversal.
    party: str | None = None
