"""Reversals of completed payments, with fakes that record state: what is stored, sent and published."""

import random

import pytest

from domain.events.topics import stk_topic
from domain.reversals.errors import (
    ReversalAlreadyRequestedError,
    ReversalNotCompletedError,
    ReversalPaymentNotFoundError,
)
from domain.reversals.reversal import ReversalRequest, ReversalResult, ReversalStatus
from domain.reversals.use_cases.handle_reversal_result import HandleReversalResult, ReversalResultOutcome
from domain.reversals.use_cases.handle_reversal_status import HandleReversalStatusResult
from domain.reversals.use_cases.mark_payment_reversed import MarkPaymentReversed
from domain.reversals.use_cases.reconcile_reversals import ReconcileReversals
from domain.reversals.use_cases.request_reversal import RequestReversal, ReverseCommand
from domain.reversals.use_cases.submit_reversal import SubmitNextReversal
from domain.shared.amount import Amount
from domain.shared.errors import (
    CallbackRejectedError,
    DomainError,
    IdempotencyConflictError,
    ProviderOutcomeUnknownError,
    ProviderRejectedError,
    ProviderUnreachableError,
    UnknownCallbackTokenError,
)
from domain.shared.transaction_status import TransactionStatusResult
from domain.stk.payment import Payment
from domain.stk.result_codes import PaymentStatus
from tests.support.factories import STK_RECEIPT, PaymentFactory, paid_payment, reversal_success_for
from tests.unit.fakes import FakeBroadcaster, FakeIdempotencyKeys, FixedClock, SequentialIdentifiers
from tests.unit.reversal_fakes import FakeReversalProvider, FakeReversals, FakeReversiblePayments

RECEIPT = STK_RECEIPT


def completed_payment(receipt: str = RECEIPT, amount: int = 150) -> Payment:
    """Paid, for the amount `reversal_success_for` reports reversed unless the test says otherwise."""
    return paid_payment(receipt=receipt, amount=Amount(amount))


class World:
    def __init__(self, *payments: Payment) -> None:
        self.reversals = FakeReversals()
        self.payments = FakeReversiblePayments(*payments)
        self.provider = FakeReversalProvider()
        self.broadcaster = FakeBroadcaster()
        self.clock = FixedClock()
        self.keys = FakeIdempotencyKeys()
        self.request = RequestReversal(self.reversals, self.payments, self.clock, SequentialIdentifiers(), self.keys)
        self.submit = SubmitNextReversal(self.reversals, self.provider, self.clock, "worker-1", 30)
        mark = MarkPaymentReversed(self.payments, self.broadcaster, self.clock)
        self.result = HandleReversalResult(self.reversals, mark, self.clock)
        self.status_answer = HandleReversalStatusResult(self.reversals, mark, self.clock)
        self.reconcile = ReconcileReversals(
            self.reversals, self.provider, self.clock, random.Random(7), SequentialIdentifiers()
        )


async def test_a_completed_payment_is_recorded_for_reversal_of_its_whole_amount() -> None:
    payment = completed_payment(amount=150)
    world = World(payment)

    reversal = await world.request(ReverseCommand(RECEIPT, "Customer paid twice"))

    stored = world.reversals.get(reversal.id)
    assert (stored.status, stored.receipt, stored.amount.shillings) == (ReversalStatus.REQUESTED, RECEIPT, 150)
    assert (stored.payment_id, stored.subject, stored.reason.text) == (
        payment.id,
        payment.subject,
        "Customer paid twice",
    )
    assert world.provider.sent == []


@pytest.mark.parametrize(
    ("receipt", "reason", "field"),
    [
        ("nlj7rt61sv", "Refund", "receipt"),
        ("NLJ7RT61", "Refund", "receipt"),
        (12345, "Refund", "receipt"),
        (RECEIPT, "", "reason"),
        (RECEIPT, "x", "reason"),
        (RECEIPT, "y" * 101, "reason"),
        (RECEIPT, None, "reason"),
    ],
)
async def test_bad_input_is_refused_and_stores_nothing(receipt: object, reason: object, field: str) -> None:
    world = World(completed_payment())

    with pytest.raises(DomainError) as refused:
        await world.request(ReverseCommand(receipt, reason, idempotency_key="k-1"))

    assert refused.value.code == "VALIDATION_ERROR"
    assert refused.value.details[0]["field"] == field
    assert world.reversals.all() == [] and world.keys.held == {}


async def test_a_receipt_no_payment_carries_is_refused_as_not_found() -> None:
    world = World(completed_payment(receipt="NLJ7RT6100"))

    with pytest.raises(ReversalPaymentNotFoundError) as refused:
        await world.request(ReverseCommand(RECEIPT, "Refund", idempotency_key="k-1"))

    assert refused.value.code == "REVERSAL_PAYMENT_NOT_FOUND"
    assert world.reversals.all() == [] and world.keys.held == {}


async def test_a_payment_that_is_not_completed_is_refused() -> None:
    payment: Payment = PaymentFactory.build(status=PaymentStatus.PENDING, receipt=RECEIPT)
    world = World(payment)

    with pytest.raises(ReversalNotCompletedError) as refused:
        await world.request(ReverseCommand(RECEIPT, "Refund"))

    assert refused.value.code == "REVERSAL_NOT_COMPLETED"
    assert world.reversals.all() == []


async def test_a_second_reversal_of_a_receipt_is_refused_while_the_first_is_live() -> None:
    world = World(completed_payment())
    first = await world.request(ReverseCommand(RECEIPT, "Refund"))

    with pytest.raises(ReversalAlreadyRequestedError) as refused:
        await world.request(ReverseCommand(RECEIPT, "Refund again", idempotency_key="k-2"))

    assert refused.value.code == "REVERSAL_ALREADY_REQUESTED"
    assert [r.id for r in world.reversals.all()] == [first.id]
    assert world.keys.held == {}


async def test_after_a_definite_failure_the_receipt_may_be_reversed_by_a_new_request() -> None:
    world = World(completed_payment())
    first = await world.request(ReverseCommand(RECEIPT, "Refund"))
    await world.submit()
    await world.result(first.callback_token, reversal_success_for(result_code="1", result_desc="Insufficient funds"))

    second = await world.request(ReverseCommand(RECEIPT, "Refund, funds topped up"))

    assert world.reversals.get(first.id).status is ReversalStatus.FAILED
    assert world.reversals.get(second.id).status is ReversalStatus.REQUESTED


async def test_the_same_key_and_body_returns_the_same_reversal() -> None:
    world = World(completed_payment())
    first = await world.request(ReverseCommand(RECEIPT, "Refund", idempotency_key="k-1"))
    await world.submit()

    repeat = await world.request(ReverseCommand(RECEIPT, "Refund", idempotency_key="k-1"))

    assert repeat.id == first.id and repeat.status is ReversalStatus.SENT
    assert len(world.reversals.all()) == 1


async def test_the_same_key_with_another_body_is_a_conflict_that_changes_nothing() -> None:
    world = World(completed_payment())
    first = await world.request(ReverseCommand(RECEIPT, "Refund", idempotency_key="k-1"))

    with pytest.raises(IdempotencyConflictError):
        await world.request(ReverseCommand(RECEIPT, "Another reason", idempotency_key="k-1"))

    assert [r.id for r in world.reversals.all()] == [first.id]


async def test_the_reversal_is_stored_as_unknown_before_daraja_is_called_and_sent_once() -> None:
    world = World(completed_payment(amount=150))
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    seen: list[ReversalStatus] = []

    async def look(_: ReversalRequest) -> None:
        seen.append(world.reversals.get(reversal.id).status)

    world.provider = FakeReversalProvider(during_request=look)
    world.submit = SubmitNextReversal(world.reversals, world.provider, world.clock, "worker-1", 30)
    await world.submit()
    nothing_left = await world.submit()

    assert seen == [ReversalStatus.UNKNOWN]
    assert [(r.receipt, r.amount.shillings) for r in world.provider.sent] == [(RECEIPT, 150)]
    stored = world.reversals.get(reversal.id)
    assert (stored.status, stored.conversation_id) == (ReversalStatus.SENT, "AG_20250314_0001")
    assert stored.lease_owner is None
    assert nothing_left is None


async def test_a_refused_request_is_failed_and_frees_the_receipt() -> None:
    world = World(completed_payment())
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    world.provider.will_raise(ProviderRejectedError("400.002.02", "Bad Request - Invalid TransactionID"))

    await world.submit()

    stored = world.reversals.get(reversal.id)
    assert (stored.status, stored.result_code) == (ReversalStatus.FAILED, "400.002.02")
    assert not stored.holds_receipt


async def test_a_request_that_never_reached_daraja_goes_back_to_the_queue() -> None:
    world = World(completed_payment())
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    world.provider.will_raise(ProviderUnreachableError("connection refused"))

    with pytest.raises(ProviderUnreachableError):
        await world.submit()

    assert world.reversals.get(reversal.id).status is ReversalStatus.REQUESTED


async def test_a_lost_answer_leaves_the_outcome_unknown_and_it_is_never_sent_again() -> None:
    world = World(completed_payment())
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    world.provider.will_raise(ProviderOutcomeUnknownError("read time-out"))

    await world.submit()
    again = await world.submit()

    stored = world.reversals.get(reversal.id)
    assert (stored.status, stored.lease_owner) == (ReversalStatus.UNKNOWN, None)
    assert again is None and len(world.provider.sent) == 1


async def test_a_reversed_result_marks_the_payment_and_tells_its_clients() -> None:
    payment = completed_payment()
    world = World(payment)
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    await world.submit()

    outcome = await world.result(reversal.callback_token, reversal_success_for())

    stored = world.reversals.get(reversal.id)
    assert outcome is ReversalResultOutcome.REVERSED
    assert (stored.status, stored.reversal_receipt) == (ReversalStatus.REVERSED, "SKE52PAWR9")
    marked = world.payments.get(payment.id)
    assert (marked.status, marked.reversal_id) == (PaymentStatus.SUCCESS, reversal.id)
    assert world.broadcaster.published == [(stk_topic(payment.subject), marked.view())]


async def test_a_repeated_result_is_applied_once() -> None:
    world = World(completed_payment())
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    await world.submit()
    await world.result(reversal.callback_token, reversal_success_for())

    repeat = await world.result(reversal.callback_token, reversal_success_for())

    assert repeat is ReversalResultOutcome.DUPLICATE
    assert len(world.reversals.get(reversal.id).history) == 4
    assert len(world.broadcaster.published) == 1


async def test_a_repeated_result_finishes_marking_a_payment_left_unmarked() -> None:
    payment = completed_payment()
    world = World(payment)
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    await world.submit()
    stored = world.reversals.get(reversal.id)
    stored.settle(reversal_success_for(), world.clock.now())
    await world.reversals.save(stored)  # as if the process died before the payment was marked

    await world.result(reversal.callback_token, reversal_success_for())

    assert world.payments.get(payment.id).reversal_id == reversal.id


async def test_already_reversed_is_a_failure_that_leaves_the_payment_unmarked() -> None:
    payment = completed_payment()
    world = World(payment)
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    await world.submit()
    already = ReversalResult("R000001", "The transaction has already been reversed.", "AG_20250314_0001")

    outcome = await world.result(reversal.callback_token, already)

    stored = world.reversals.get(reversal.id)
    assert outcome is ReversalResultOutcome.FAILED
    assert (stored.status, stored.result_code, stored.reversal_receipt) == (ReversalStatus.FAILED, "R000001", None)
    assert stored.view()["message"] == "M-PESA says this payment was reversed already."
    assert world.payments.get(payment.id).reversal_id is None


async def test_a_queue_time_out_leaves_the_outcome_unknown() -> None:
    world = World(completed_payment())
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    await world.submit()

    outcome = await world.result(
        reversal.callback_token, ReversalResult("1", "The request timed out.", "AG_20250314_0001"), queue_timeout=True
    )

    assert outcome is ReversalResultOutcome.UNKNOWN
    assert world.reversals.get(reversal.id).status is ReversalStatus.UNKNOWN


@pytest.mark.parametrize(
    "result",
    [
        reversal_success_for(original_transaction_id="NLJ7RT6100"),
        reversal_success_for(amount=149),
        reversal_success_for(conversation_id="AG_20250314_9999"),
        reversal_success_for(transaction_id=None),
    ],
)
async def test_a_result_that_contradicts_the_reversal_is_rejected_and_changes_nothing(result: ReversalResult) -> None:
    payment = completed_payment()
    world = World(payment)
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    await world.submit()

    with pytest.raises(CallbackRejectedError):
        await world.result(reversal.callback_token, result)

    assert world.reversals.get(reversal.id).status is ReversalStatus.SENT
    assert world.payments.get(payment.id).reversal_id is None


async def test_a_result_for_an_unknown_token_is_rejected() -> None:
    world = World(completed_payment())

    with pytest.raises(UnknownCallbackTokenError):
        await world.result("no-such-token", reversal_success_for())


def status_answer(status: str, amount: int = 150, originator: str = "29115-1-1") -> TransactionStatusResult:
    return TransactionStatusResult("0", "ok", originator, status, "SKE52PAWR9", amount, "AG_20250314_0001")


async def sent_and_overdue(world: World) -> str:
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    await world.submit()
    world.clock.advance(minutes=3)
    return reversal.id


async def test_an_overdue_reversal_is_asked_about_by_transaction_status_never_resent() -> None:
    world = World(completed_payment())
    reversal_id = await sent_and_overdue(world)

    asked = await world.reconcile(10)
    again = await world.reconcile(10)

    assert (asked, again) == (1, 0)
    assert [q.originator_conversation_id for q in world.provider.status_queries] == ["29115-1-1"]
    assert len(world.provider.sent) == 1
    assert world.reversals.get(reversal_id).status_query is not None


async def test_a_completed_status_settles_it_reversed_and_marks_the_payment() -> None:
    payment = completed_payment()
    world = World(payment)
    reversal_id = await sent_and_overdue(world)
    await world.reconcile(10)
    token = world.provider.status_queries[0].callback_token

    outcome = await world.status_answer(token, status_answer("Completed"))

    stored = world.reversals.get(reversal_id)
    assert outcome is ReversalResultOutcome.REVERSED
    assert (stored.status, stored.reversal_receipt) == (ReversalStatus.REVERSED, "SKE52PAWR9")
    assert world.payments.get(payment.id).reversal_id == reversal_id


async def test_a_failed_status_settles_it_failed_and_pending_changes_nothing() -> None:
    world = World(completed_payment())
    reversal_id = await sent_and_overdue(world)
    await world.reconcile(10)
    first = world.provider.status_queries[0].callback_token

    pending = await world.status_answer(first, status_answer("Pending"))
    world.clock.advance(minutes=10)
    await world.reconcile(10)
    second = world.provider.status_queries[1].callback_token
    failed = await world.status_answer(second, status_answer("Failed"))

    assert (pending, failed) == (ReversalResultOutcome.STILL_OPEN, ReversalResultOutcome.FAILED)
    assert world.reversals.get(reversal_id).status is ReversalStatus.FAILED


@pytest.mark.parametrize(
    "answer", [status_answer("Completed", amount=149), status_answer("Completed", originator="29115-9-1")]
)
async def test_a_status_answer_that_contradicts_the_reversal_is_refused(answer: TransactionStatusResult) -> None:
    world = World(completed_payment())
    reversal_id = await sent_and_overdue(world)
    await world.reconcile(10)

    with pytest.raises(CallbackRejectedError):
        await world.status_answer(world.provider.status_queries[0].callback_token, answer)

    assert world.reversals.get(reversal_id).status is ReversalStatus.SENT


async def test_an_answer_to_a_superseded_or_unknown_query_is_refused() -> None:
    world = World(completed_payment())
    await sent_and_overdue(world)
    await world.reconcile(10)
    world.clock.advance(minutes=10)
    await world.reconcile(10)

    for token in (world.provider.status_queries[0].callback_token, "never-asked"):
        with pytest.raises(CallbackRejectedError):
            await world.status_answer(token, status_answer("Completed"))


async def test_a_reversal_daraja_never_named_is_not_asked_about() -> None:
    world = World(completed_payment())
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))
    world.provider.will_raise(ProviderOutcomeUnknownError("read time-out"))
    await world.submit()
    world.clock.advance(minutes=3)

    asked = await world.reconcile(10)

    assert asked == 0 and world.provider.status_queries == []
    assert world.reversals.get(reversal.id).status is ReversalStatus.UNKNOWN


async def test_a_queue_time_out_that_overtakes_darajas_answer_still_names_the_request_for_reconciliation() -> None:
    world = World(completed_payment())
    reversal = await world.request(ReverseCommand(RECEIPT, "Refund"))

    async def time_out_first(_: ReversalRequest) -> None:
        notice = ReversalResult("1", "The request timed out.", "AG_20250314_0001", "29115-1-1")
        await world.result(reversal.callback_token, notice, queue_timeout=True)

    world.provider = FakeReversalProvider(during_request=time_out_first)
    world.submit = SubmitNextReversal(world.reversals, world.provider, world.clock, "worker-1", 30)
    world.reconcile = ReconcileReversals(
        world.reversals, world.provider, world.clock, random.Random(7), SequentialIdentifiers()
    )
    await world.submit()

    asked = await world.reconcile(10)

    stored = world.reversals.get(reversal.id)
    assert (stored.status, stored.originator_conversation_id) == (ReversalStatus.UNKNOWN, "29115-1-1")
    assert asked == 1 and len(world.provider.sent) == 1
