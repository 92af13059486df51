"""What one process knows of withdrawals without reading the store, so that the B2C path reads only when it must.

Every use of it ends in a write conditional on the version remembered: a withdrawal that changed since (another
instance's worker took it, another instance applied its Result) is refused by the store, forgotten here, and read
again. So memory may be stale, but a stale state is never stored.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from adapters.mongo.b2c_withdrawal_document import as_stored
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus

# Claimable withdrawals kept (those this process queued, and the rest of its last read of the queue), and how long
# after the queue was last read they are trusted: a withdrawal only the store knows (another instance queued it,
# or it went back to the queue) waits no longer than that for its claim.
_CLAIMABLE = 64
_READ_QUEUE_AT_LEAST_EVERY_SECONDS = 1.0
# Withdrawals waiting for Daraja's Result, as this process last stored them: a Result then needs no read.
_AWAITING_RESULT = 1024


class RememberedWithdrawals:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._claimable: dict[str, Withdrawal] = {}
        self._queue_read_at = monotonic()
        self._awaiting_result: OrderedDict[str, Withdrawal] = OrderedDict()

    def claimable(self, withdrawals: list[Withdrawal]) -> None:
        """These were claimable as they are (just queued, or just read from the queue)."""
        for withdrawal in withdrawals:
            if len(self._claimable) >= _CLAIMABLE:
                return
            self._claimable[withdrawal.id] = _copy(withdrawal)

    def queue_read(self) -> None:
        self._queue_read_at = self._monotonic()

    def take_claimable(self, now: datetime) -> list[Withdrawal]:
        """The remembered withdrawals claimable at `now` as they were known, oldest first as the queue is (each
        forgotten); none when the queue is due a read."""
        remembered, self._claimable = list(self._claimable.values()), {}
        if self._monotonic() - self._queue_read_at > _READ_QUEUE_AT_LEAST_EVERY_SECONDS:
            return []
        claimable = [withdrawal for withdrawal in remembered if _claimable_at(withdrawal, now)]
        return sorted(claimable, key=lambda withdrawal: (withdrawal.created_at, withdrawal.id))

    def stored(self, withdrawal: Withdrawal) -> None:
        """This process just stored this state of it (its `version` the stored one)."""
        token = withdrawal.callback_token
        if withdrawal.awaiting_reconciliation:
            # As the store keeps it (whole milliseconds), so what is read from here is what a read would give.
            self._awaiting_result[token] = replace(
                as_stored(withdrawal),
                version=withdrawal.version,
                applied_callback=withdrawal.applied_callback,
            )
            self._awaiting_result.move_to_end(token)
            if len(self._awaiting_result) > _AWAITING_RESULT:
                self._awaiting_result.popitem(last=False)
        else:
            self._awaiting_result.pop(token, None)

    def refused(self, withdrawal: Withdrawal) -> None:
        """The store refused a write of it: what is remembered of it is stale."""
        self._claimable.pop(withdrawal.id, None)
        self._awaiting_result.pop(withdrawal.callback_token, None)

    def by_callback_token(self, token: str) -> Withdrawal | None:
        known = self._awaiting_result.get(token)
        return None if known is None else _copy(known)


def _copy(withdrawal: Withdrawal) -> Withdrawal:
    # Its other fields are immutable values: only the history list is changed in place.
    return replace(withdrawal, history=list(withdrawal.history))


def _claimable_at(withdrawal: Withdrawal, now: datetime) -> bool:
    """What the store's claim query asks, of a withdrawal as it was known."""
    lease_over = withdrawal.lease_expires_at is None or withdrawal.lease_expires_at < now
    return withdrawal.status is WithdrawalStatus.QUEUED and lease_over
