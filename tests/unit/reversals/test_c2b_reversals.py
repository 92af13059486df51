"""Reversals of C2B payments: found by TransID, linked on the payment, and taken off the request that counted them."""

import random
from datetime import timedelta

import pytest

from domain.c2b.confirmation import C2bTransaction
from domain.c2b.payer import Payer
from domain.c2b.payment_request import RequestStatus
from domain.c2b.topic import c2b_topic
from domain.c2b.use_cases.confirm_payment import ConfirmPayment
from domain.c2b.use_cases.create_payment_request import CreatePaymentRequest, CreatePaymentRequestCommand
from domain.c2b.use_cases.expire_payment_requests import ExpirePaymentRequests
from domain.events.event import events_of
from domain.events.types import C2B_PAYMENT, C2B_REQUEST
from domain.reversals.errors import ReversalAlreadyRequestedError, ReversalPaymentNotFoundError
from domain.reversals.reversal import PaymentKind, ReversalResult, ReversalStatus
from domain.reversals.use_cases.handle_reversal_result import HandleReversalResult, ReversalResultOutcome
from domain.reversals.use_cases.handle_reversal_status import HandleReversalStatusResult
from domain.reversals.use_cases.mark_c2b_payment_reversed import MarkC2bPaymentReversed
from domain.reversals.use_cases.mark_payment_reversed import MarkPaymentReversed
from domain.reversals.use_cases.reconcile_reversals import ReconcileReversals
from domain.reversals.use_cases.request_reversal import RequestReversal, ReverseCommand
from domain.reversals.use_cases.submit_reversal import SubmitNextReversal
from domain.shared.transaction_status import TransactionStatusResult
from tests.unit.c2b_fakes import FakeC2bPayments, FakePaymentRequests
from tests.unit.fakes import FakeBroadcaster, FakeIdempotencyKeys, FixedClock, SequentialIdentifiers
from tests.unit.reversal_fakes import FakeReversalProvider, FakeReversals, FakeReversiblePayments

FIRST, SECOND = "RKL51ZDR4A", "RKL51ZDR4B"
SUBJECT = "hash-1"


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.broadcaster = FakeBroadcaster()
        self.requests = FakePaymentRequests()
        self.c2b_payments = FakeC2bPayments()
        self.reversals = FakeReversals()
        self.provider = FakeReversalProvider()
        self.identifiers = SequentialIdentifiers()
        self.confirm = ConfirmPayment(self.requests, self.c2b_payments, self.broadcaster, self.clock)
        self.request = RequestReversal(
            self.reversals,
            FakeReversiblePayments(),
            self.clock,
            self.identifiers,
            FakeIdempotencyKeys(),
            c2b_payments=self.c2b_payments,
        )
        self.submit = SubmitNextReversal(self.reversals, self.provider, self.clock, "worker-1", 30)
        c2b = MarkC2bPaymentReversed(self.c2b_payments, self.requests, self.broadcaster, self.clock)
        mark = MarkPaymentReversed(FakeReversiblePayments(), self.broadcaster, self.clock, c2b)
        self.result = HandleReversalResult(self.reversals, mark, self.clock)
        self.status_answer = HandleReversalStatusResult(self.reversals, mark, self.clock)
        self.reconcile = ReconcileReversals(
            self.reversals, self.provider, self.clock, random.Random(7), SequentialIdentifiers()
        )

    async def create(self, rule: str = "exact", amount: int | None = 100, ref: str = "INV-42", hours: int = 1) -> str:
        create = CreatePaymentRequest(self.requests, self.broadcaster, self.identifiers, self.clock)
        command = CreatePaymentRequestCommand(SUBJECT, ref, rule, self.clock.now() + timedelta(hours=hours), amount, {})
        return (await create(command)).id

    async def pay(self, amount: int, trans_id: str, ref: str = "INV-42") -> None:
        await self.confirm(C2bTransaction(trans_id, amount, "600984", ref, Payer("254708374149")))

    async def reverse_and_settle(self, trans_id: str, amount: int) -> str:
        reversal = await self.request(ReverseCommand(trans_id, "Customer paid twice"))
        sent = await self.submit()
        assert sent is not None
        self.broadcaster.published.clear()
        result = reversed_result(trans_id, amount, conversation_id=sent.conversation_id)
        outcome = await self.result(reversal.callback_token, result)
        assert outcome is ReversalResultOutcome.REVERSED
        return reversal.id


def reversed_result(trans_id: str, amount: int, **overrides: object) -> ReversalResult:
    fields: dict[str, object] = {
        "result_code": "0",
        "result_desc": "The service request is processed successfully.",
        "conversation_id": "AG_20250314_0001",
        "originator_conversation_id": "29115-1-1",
        "transaction_id": "SKE52PAWR9",
        "original_transaction_id": trans_id,
        "amount": amount,
        "completed_at": "20250314132711",
        **overrides,
    }
    return ReversalResult(**fields)  # type: ignore[arg-type]


async def test_a_c2b_payment_is_recorded_for_reversal_of_its_whole_amount_with_its_requests_subject() -> None:
    world = World()
    await world.create(amount=100)
    await world.pay(100, FIRST)

    reversal = await world.request(ReverseCommand(FIRST, "Wrong account"))

    stored = world.reversals.get(reversal.id)
    assert (stored.status, stored.payment_kind, stored.receipt) == (ReversalStatus.REQUESTED, PaymentKind.C2B, FIRST)
    assert (stored.amount.shillings, stored.payment_id, stored.subject) == (100, FIRST, SUBJECT)
    assert world.provider.sent == []
    await world.submit()
    assert world.provider.sent[0].receiver_party == "600984"  # the shortcode the customer paid


async def test_an_unmatched_c2b_payment_may_be_reversed_and_has_no_subject() -> None:
    world = World()
    await world.pay(70, FIRST, ref="NOBODY")

    reversal = await world.request(ReverseCommand(FIRST, "Unknown account"))
    await world.submit()
    await world.result(reversal.callback_token, reversed_result(FIRST, 70))

    assert world.reversals.get(reversal.id).subject == ""
    assert world.c2b_payments.by_id[FIRST].reversal_id == reversal.id
    assert world.broadcaster.published[-1:] == []  # no hash, so no socket to tell; the event feed still has it


async def test_a_receipt_neither_an_stk_nor_a_c2b_payment_carries_is_not_found() -> None:
    world = World()
    await world.pay(70, FIRST)

    with pytest.raises(ReversalPaymentNotFoundError):
        await world.request(ReverseCommand(SECOND, "Refund"))

    assert world.reversals.all() == []


async def test_a_c2b_payment_is_reversed_at_most_once() -> None:
    world = World()
    await world.pay(70, FIRST)
    await world.request(ReverseCommand(FIRST, "Refund"))

    with pytest.raises(ReversalAlreadyRequestedError):
        await world.request(ReverseCommand(FIRST, "Refund again"))

    assert len(world.reversals.all()) == 1


async def overpaid(world: World) -> str:
    """An exact request of 100 paid 40 (FIRST), then 100 in full (SECOND): overpaid by the 40."""
    request_id = await world.create(amount=100)
    await world.pay(40, FIRST)
    await world.pay(100, SECOND)
    assert world.requests.get(request_id).status is RequestStatus.OVERPAID
    return request_id


async def test_reversing_the_payment_that_overpaid_a_request_sets_it_back_to_paid() -> None:
    world = World()
    request_id = await overpaid(world)

    reversal_id = await world.reverse_and_settle(FIRST, 40)

    request = world.requests.get(request_id)
    assert (request.status, request.received, request.outstanding) == (RequestStatus.PAID, 100, 0)
    assert [c["reversed_at"] is not None for c in request.view()["confirmations"]] == [True, False]
    payment = world.c2b_payments.by_id[FIRST]
    assert (payment.reversal_id, world.c2b_payments.by_id[SECOND].reversal_id) == (reversal_id, None)
    topics_and_kinds = [(topic, frame["kind"]) for topic, frame in world.broadcaster.published]
    assert topics_and_kinds == [(c2b_topic(SUBJECT), "c2b_payment"), (c2b_topic(SUBJECT), "c2b_request")]
    assert world.broadcaster.published[0][1]["reversal_id"] == reversal_id
    assert world.broadcaster.published[1][1]["status"] == "paid"
    events = [e.type for e in events_of(C2B_REQUEST, request.id, request.history, request.view())]
    assert events == ["c2b.request.overpaid", "c2b.request.paid"]
    payment_events = events_of(C2B_PAYMENT, FIRST, payment.history, payment.view())
    assert [e.type for e in payment_events] == ["c2b.payment.received", "c2b.payment.reversed"]
    assert payment_events[0].data["reversal_id"] is None and payment_events[1].data["reversal_id"] == reversal_id


async def test_reversing_a_duplicate_payment_a_closed_request_never_counted_leaves_the_request_alone() -> None:
    world = World()
    request_id = await world.create(amount=100)
    await world.pay(100, FIRST)
    await world.pay(100, SECOND)  # the customer paid twice: the request was paid, so this one is kept unmatched
    before = world.requests.get(request_id)

    reversal_id = await world.reverse_and_settle(SECOND, 100)

    after = world.requests.get(request_id)
    assert (after.status, after.received, after.version) == (RequestStatus.PAID, 100, before.version)
    assert world.c2b_payments.by_id[SECOND].reversal_id == reversal_id
    assert [frame["kind"] for _, frame in world.broadcaster.published] == ["c2b_payment"]


async def test_a_paid_request_whose_payment_is_reversed_before_its_deadline_is_open_again_and_takes_payment() -> None:
    world = World()
    request_id = await world.create(amount=100)
    await world.pay(100, FIRST)

    await world.reverse_and_settle(FIRST, 100)

    request = world.requests.get(request_id)
    assert (request.status, request.received, request.outstanding) == (RequestStatus.OPEN, 0, 100)
    await world.pay(100, SECOND)
    again = world.requests.get(request_id)
    assert (again.status, again.received) == (RequestStatus.PAID, 100)


async def test_a_request_past_its_deadline_closes_underpaid_or_expired_from_what_is_left() -> None:
    world = World()
    partly = await world.create(amount=100, ref="INV-1")
    emptied = await world.create(rule="open", amount=None, ref="INV-2")
    await world.pay(60, FIRST, ref="INV-1")
    await world.pay(50, "RKL51ZDR4C", ref="INV-1")
    await world.pay(30, SECOND, ref="INV-2")
    world.clock.advance(hours=2)

    await world.reverse_and_settle("RKL51ZDR4C", 50)
    await world.reverse_and_settle(SECOND, 30)

    assert (world.requests.get(partly).status, world.requests.get(partly).received) == (RequestStatus.UNDERPAID, 60)
    assert (world.requests.get(emptied).status, world.requests.get(emptied).received) == (RequestStatus.EXPIRED, 0)


async def test_a_request_whose_reference_a_newer_open_request_took_is_not_reopened() -> None:
    world = World()
    old = await world.create(amount=100)
    await world.pay(100, FIRST)
    world.clock.advance(minutes=1)
    newer = await world.create(amount=40)

    await world.reverse_and_settle(FIRST, 100)

    assert world.requests.get(old).status is RequestStatus.EXPIRED
    assert world.requests.get(newer).status is RequestStatus.OPEN


async def test_a_repeated_result_takes_the_payment_off_the_request_once() -> None:
    world = World()
    request_id = await overpaid(world)
    version = world.requests.get(request_id).version
    reversal = await world.request(ReverseCommand(FIRST, "Refund"))
    await world.submit()

    first = await world.result(reversal.callback_token, reversed_result(FIRST, 40))
    again = await world.result(reversal.callback_token, reversed_result(FIRST, 40))

    assert (first, again) == (ReversalResultOutcome.REVERSED, ReversalResultOutcome.DUPLICATE)
    request = world.requests.get(request_id)
    assert (request.status, request.received, request.version) == (RequestStatus.PAID, 100, version + 1)
    assert world.c2b_payments.by_id[FIRST].version == 1
    assert len(world.provider.sent) == 1


async def test_a_repeated_result_finishes_a_request_left_counting_the_reversed_payment() -> None:
    world = World()
    request_id = await overpaid(world)
    reversal = await world.request(ReverseCommand(FIRST, "Refund"))
    await world.submit()
    # The process dies after the payment is linked, before the request is saved: Daraja gets no answer, so repeats.
    world.requests.fail_next_save(RuntimeError("process died"))
    with pytest.raises(RuntimeError):
        await world.result(reversal.callback_token, reversed_result(FIRST, 40))
    assert world.c2b_payments.by_id[FIRST].reversal_id == reversal.id
    assert world.requests.get(request_id).status is RequestStatus.OVERPAID

    await world.result(reversal.callback_token, reversed_result(FIRST, 40))

    request = world.requests.get(request_id)
    assert (request.status, request.received) == (RequestStatus.PAID, 100)


async def test_a_repeated_confirmation_of_a_reversed_payment_is_not_counted_again() -> None:
    world = World()
    request_id = await overpaid(world)
    await world.reverse_and_settle(FIRST, 40)

    await world.pay(40, FIRST)

    assert world.requests.get(request_id).received == 100


async def test_a_payment_reversed_before_its_first_delivery_was_counted_is_never_counted_by_a_repeat() -> None:
    world = World()
    request_id = await world.create(amount=100)
    await world.pay(100, FIRST)
    # As if the process died after the payment's insert: the request never counted it.
    lost = world.requests.get(request_id)
    lost.confirmations.clear()
    lost.status = RequestStatus.OPEN
    world.requests._by_id[request_id] = lost
    await world.reverse_and_settle(FIRST, 100)

    await world.pay(100, FIRST)  # Daraja's repeat of the first confirmation

    request = world.requests.get(request_id)
    assert (request.received, request.status) == (0, RequestStatus.OPEN)


async def test_a_failed_reversal_leaves_the_payment_and_its_request_as_they_were() -> None:
    world = World()
    request_id = await overpaid(world)
    reversal = await world.request(ReverseCommand(FIRST, "Refund"))
    await world.submit()

    outcome = await world.result(reversal.callback_token, reversed_result(FIRST, 40, result_code="R000001"))

    assert outcome is ReversalResultOutcome.FAILED
    assert world.c2b_payments.by_id[FIRST].reversal_id is None
    assert world.requests.get(request_id).status is RequestStatus.OVERPAID
    again = await world.request(ReverseCommand(FIRST, "Refund, second try"))
    assert again.status is ReversalStatus.REQUESTED


async def test_a_queue_time_out_leaves_it_unknown_and_transaction_status_settles_it() -> None:
    world = World()
    request_id = await overpaid(world)
    reversal = await world.request(ReverseCommand(FIRST, "Refund"))
    await world.submit()

    timed_out = ReversalResult("SFC_IC0003", "The request timed out.")
    assert await world.result(reversal.callback_token, timed_out, queue_timeout=True) is ReversalResultOutcome.UNKNOWN
    assert world.requests.get(request_id).status is RequestStatus.OVERPAID
    assert await world.reconcile(10) == 1
    query = world.provider.status_queries[-1]
    assert query.party == "600984"
    answer = TransactionStatusResult("0", "done", "29115-1-1", "Completed", "SKE52PAWR9", 40)

    await world.status_answer(query.callback_token, answer)

    assert world.reversals.get(reversal.id).status is ReversalStatus.REVERSED
    assert world.requests.get(request_id).status is RequestStatus.PAID
    assert len(world.provider.sent) == 1


async def test_a_request_open_again_after_a_reversal_expires_by_its_deadline() -> None:
    world = World()
    request_id = await world.create(amount=100)
    await world.pay(100, FIRST)
    await world.reverse_and_settle(FIRST, 100)
    world.clock.advance(hours=2)

    await ExpirePaymentRequests(world.requests, world.broadcaster, world.clock)()

    assert world.requests.get(request_id).status is RequestStatus.EXPIRED
