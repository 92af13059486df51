from domain.b2c.ports import DailyAllowance
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.events.ports import Broadcaster
from domain.events.topics import b2c_topic

# The ends at which nothing was paid: their reservation goes back to the subject's daily total.
_UNPAID = frozenset({WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED})


class AnnounceWithdrawal:
    """What follows a stored change of a withdrawal, whichever use case made it: one that ended unpaid (failed or
    rejected) gives its amount back to its subject's daily allowance, and the sockets of the subject are sent its state.

    Called once per stored change, after the save: a withdrawal reaches an unpaid end once, so its reservation is
    given back once."""

    def __init__(self, allowance: DailyAllowance, broadcaster: Broadcaster) -> None:
        self._allowance, self._broadcaster = allowance, broadcaster

    async def __call__(self, withdrawal: Withdrawal) -> None:
        if withdrawal.status in _UNPAID:
            await self._allowance.release(withdrawal.subject, withdrawal.allowance_day, withdrawal.amount.shillings)
        await self._broadcaster.publish(b2c_topic(withdrawal.subject), withdrawal.view())
