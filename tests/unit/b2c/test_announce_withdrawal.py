"""The step every withdrawal use case takes after storing a change: an unpaid end gives the reservation back, and
the hash's sockets are told."""

import pytest

from domain.b2c.use_cases.announce_withdrawal import AnnounceWithdrawal
from domain.b2c.withdrawal import WithdrawalStatus
from tests.support.factories import WithdrawalFactory
from tests.unit.fakes import FakeBroadcaster, FakeDailyAllowance

TOPIC = "/mpesa/b2c/" + "a1b2c3d4" * 4


@pytest.mark.parametrize(
    ("status", "given_back"),
    [
        (WithdrawalStatus.QUEUED, False),
        (WithdrawalStatus.SUBMITTED, False),
        (WithdrawalStatus.SUCCESS, False),
        (WithdrawalStatus.TIMEOUT, False),  # the money may have moved: only reconciliation says
        (WithdrawalStatus.FAILED, True),
        (WithdrawalStatus.REJECTED, True),
    ],
)
async def test_an_unpaid_end_gives_its_amount_back_and_every_change_is_published(
    status: WithdrawalStatus, given_back: bool
) -> None:
    allowance, broadcaster = FakeDailyAllowance(), FakeBroadcaster()
    withdrawal = WithdrawalFactory.build(status=status)
    day, amount = withdrawal.allowance_day, withdrawal.amount.shillings
    await allowance.reserve(withdrawal.subject, day, amount, limit=500_000)

    await AnnounceWithdrawal(allowance, broadcaster)(withdrawal)

    assert allowance.reserved(withdrawal.subject, day) == (0 if given_back else amount)
    assert broadcaster.published == [(TOPIC, withdrawal.view())]
