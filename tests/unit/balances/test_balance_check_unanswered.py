"""A balance check Daraja never answered is shown as unanswered once it is ten minutes old, not as still asking."""

from datetime import timedelta

from domain.balances.balance_check import BalanceQueryAccepted
from tests.support.factories import balance_check
from tests.unit.fakes import FixedClock


def test_an_open_check_becomes_unanswered_after_ten_minutes_and_a_settled_one_never() -> None:
    clock = FixedClock()
    check = balance_check(at=clock.now())
    check.accept(BalanceQueryAccepted("AG_1", "oc-1"))

    young = check.view_as_of(clock.now() + timedelta(minutes=9, seconds=59))
    old = check.view_as_of(clock.now() + timedelta(minutes=10))
    check.refuse("1", "failed", clock.now() + timedelta(minutes=11))
    settled = check.view_as_of(clock.now() + timedelta(hours=1))

    assert (young["status"], young["unanswered"]) == ("accepted", False)
    assert (old["status"], old["unanswered"]) == ("accepted", True)
    assert (settled["status"], settled["unanswered"]) == ("failed", False)
