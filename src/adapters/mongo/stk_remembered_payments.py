"""What one process last stored of the STK payments still open, so that Daraja's callback for one reads nothing.

Only ever the start of a write: the callback's use case changes the payment as remembered and saves it on
condition of the version remembered, so a payment that changed since (another instance applied a callback or
settled it by query, a worker process's reconciler did) is refused by the store, forgotten here, and read again.
A read is no fresher in that respect: another instance may change the payment between any read and its write,
which is why every write is conditional. Never an answer: `status` and a socket's catch-up read the store, because
a client asks exactly when it suspects it missed something.

Kept as the document written (what a read would return, times in whole milliseconds) and mapped on use; a payment
once final is forgotten, so a repeat callback reads the store as before.
"""

from collections import OrderedDict
from typing import Any

from adapters.mongo.stk_payment_document import from_stored
from domain.stk.payment import Payment
from domain.stk.result_codes import PaymentStatus

_PENDING = PaymentStatus.PENDING.value
# Open payments remembered, the oldest forgotten first: ~1.6 KiB each, so ~13 MiB at most, which covers 68 pushes
# a second held open for the whole of STK_PROMPT_LIFETIME_SECONDS' default 120 s. A callback for one forgotten
# costs its read, nothing more.
_AWAITING_CALLBACK = 8192


class RememberedPayments:
    def __init__(self, limit: int = _AWAITING_CALLBACK) -> None:
        self._limit = limit
        self._open: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def stored(self, document: dict[str, Any]) -> None:
        """This process just wrote `document` (an insert or a whole replacement, its `version` the stored one)."""
        token = document["callback_token"]
        if document["status"] != _PENDING:
            self._open.pop(token, None)
            return
        self._open[token] = document
        self._open.move_to_end(token)
        if len(self._open) > self._limit:
            self._open.popitem(last=False)

    def refused(self, callback_token: str) -> None:
        """The store refused a write of this payment: what is remembered of it is stale."""
        self._open.pop(callback_token, None)

    def by_callback_token(self, token: str) -> Payment | None:
        known = self._open.get(token)
        return None if known is None else from_stored(known)
