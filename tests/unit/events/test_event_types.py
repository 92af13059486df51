import pytest

from domain.b2c.result_codes import WithdrawalStatus
from domain.balances.account_state import BALANCE_STATUSES
from domain.c2b.payment_request import RequestStatus
from domain.events.event import events_of
from domain.events.types import EVENT_TYPES, TypeFilter, event_type
from domain.reversals.reversal import ReversalStatus
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.errors import ValidationError
from domain.shared.phone import Phone
from domain.stk.payment import Payment, StkPushAccepted, StkResult
from domain.stk.result_codes import PaymentStatus
from tests.unit.fakes import FixedClock


def test_every_status_of_both_records_has_an_event_type() -> None:
    stk = {event_type("stk", status.value) for status in PaymentStatus}
    b2c = {event_type("b2c", status.value) for status in WithdrawalStatus}

    balance = {event_type("balance", status) for status in BALANCE_STATUSES}
    c2b = {event_type("c2b.payment", "received"), event_type("c2b.payment", "reversed")} | {
        event_type("c2b.request", status.value) for status in RequestStatus if status.final
    }
    reversal = {event_type("reversal", status.value) for status in ReversalStatus}
    assert stk | b2c | balance | c2b | reversal == set(EVENT_TYPES)
    assert {"reversal.reversed", "reversal.failed"} <= reversal
    assert c2b == {
        "c2b.payment.received",
        "c2b.payment.reversed",
        "c2b.request.paid",
        "c2b.request.overpaid",
        "c2b.request.underpaid",
        "c2b.request.expired",
    }
    assert balance == {"balance.low", "balance.recovered"}
    assert "stk.succeeded" in stk and "b2c.failed" in b2c and "b2c.rejected" in b2c


def test_filters_take_exact_types_a_kind_or_everything() -> None:
    assert TypeFilter.parse(["stk.succeeded"]).wants("stk.succeeded")
    assert not TypeFilter.parse(["stk.succeeded"]).wants("stk.failed")
    assert TypeFilter.parse(["b2c.*"]).wants("b2c.timeout")
    assert not TypeFilter.parse(["b2c.*"]).wants("stk.timeout")
    assert TypeFilter.parse(["*"]).wants("stk.pending")
    assert TypeFilter.parse(["c2b.*"]).wants("c2b.request.paid")
    assert TypeFilter.parse(["c2b.payment.received"]).wants("c2b.payment.received")
    assert not TypeFilter.parse(["c2b.payment.received"]).wants("c2b.request.paid")


@pytest.mark.parametrize(
    "patterns",
    [[], ["stk.paid"], ["payments.*"], ["stk"], ["*.succeeded"], ["x"] * 40, ["c2b.request.*"], ["c2b.request.open"]],
)
def test_unknown_types_and_empty_lists_are_refused(patterns: list[str]) -> None:
    with pytest.raises(ValidationError) as refused:
        TypeFilter.parse(patterns)

    assert refused.value.field == "event_types"


def test_each_change_of_a_payment_becomes_an_event_carrying_the_payment_as_it_was_then() -> None:
    clock = FixedClock()
    payment = Payment.start(
        payment_id="pay1",
        subject="h",
        phone=Phone("254712345678"),
        amount=Amount(100),
        description=Description("Goods"),
        callback_token="token",
        now=clock.now(),
    )
    payment.accept(StkPushAccepted("mr1", "ws_CO_1"), clock.advance(seconds=1))
    payment.settle(
        StkResult("mr1", "ws_CO_1", "0", "ok", "RCPT1", 100, "254712345678", "20250314"), clock.advance(seconds=1)
    )

    events = events_of("stk", payment.id, payment.history, payment.view())

    assert [e.type for e in events] == ["stk.pending", "stk.pending", "stk.succeeded"]
    assert [e.data["checkout"] for e in events] == [None, "ws_CO_1", "ws_CO_1"]
    # The record as it was, less its version: only the save gives that.
    assert events[-1].data == {key: value for key, value in payment.view().items() if key != "version"}
    assert [e.created for e in events] == [change.at for change in payment.history]
    assert len({e.id for e in events}) == 3
    assert [e.id for e in events] == [e.id for e in events_of("stk", payment.id, payment.history, {})]
