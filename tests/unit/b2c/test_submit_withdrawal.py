import asyncio
from datetime import timedelta
from typing import Any

import pytest

from domain.b2c.use_cases.submit_withdrawal import SubmitNextWithdrawal
from domain.b2c.withdrawal import B2cRequest, Withdrawal, WithdrawalStatus
from domain.shared.errors import (
    DuplicatePayoutError,
    ProviderOutcomeUnknownError,
    ProviderRejectedError,
    ProviderUnreachableError,
)
from tests.support.factories import CREATED_AT, WithdrawalFactory, b2c_success_for, queue_timeout_for
from tests.unit.fakes import (
    FakeBroadcaster,
    FakeDailyAllowance,
    FakePayoutProvider,
    FakeWithdrawalRepository,
    FixedClock,
)

LEASE_SECONDS = 30
TOPIC = "/mpesa/b2c/" + "a1b2c3d4" * 4


def make_submit(
    withdrawals: FakeWithdrawalRepository,
    provider: FakePayoutProvider,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
    worker_id: str = "worker-1",
) -> SubmitNextWithdrawal:
    return SubmitNextWithdrawal(withdrawals, provider, allowance, broadcaster, clock, worker_id, LEASE_SECONDS)


@pytest.fixture
def submit(
    withdrawals: FakeWithdrawalRepository,
    payout_provider: FakePayoutProvider,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> SubmitNextWithdrawal:
    return make_submit(withdrawals, payout_provider, allowance, broadcaster, clock)


async def queue(withdrawals: FakeWithdrawalRepository, allowance: FakeDailyAllowance, **overrides: Any) -> Withdrawal:
    """A withdrawal as RequestWithdrawal leaves it: reserved in its day's total and stored queued."""
    withdrawal = WithdrawalFactory.build(**overrides)
    assert await allowance.reserve(withdrawal.subject, withdrawal.allowance_day, withdrawal.amount.shillings, 10**9)
    await withdrawals.add(withdrawal)
    return withdrawal


async def test_a_queued_withdrawal_is_sent_and_stored_submitted_with_darajas_ids(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
    broadcaster: FakeBroadcaster,
) -> None:
    queued = await queue(withdrawals, allowance)
    payout_provider.will_accept("AG_20240706_20106e9209f64bebd05b")

    handled = await submit()

    stored = withdrawals.get(queued.id)
    assert stored.status is WithdrawalStatus.SUBMITTED
    assert (stored.conversation_id, stored.originator_conversation_id) == (
        "AG_20240706_20106e9209f64bebd05b",
        queued.originator_conversation_id,
    )
    assert (stored.outcome_unknown, stored.lease_owner, stored.lease_expires_at) == (False, None, None)
    assert handled is not None and handled.view() == stored.view()
    assert broadcaster.published == [(TOPIC, stored.view())]


async def test_daraja_is_asked_once_with_the_stored_originator_conversation_id_and_token(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
) -> None:
    queued = await queue(withdrawals, allowance)

    await submit()

    assert payout_provider.requests == [queued.b2c_request()]


async def test_an_empty_queue_gives_none_and_sends_nothing(
    submit: SubmitNextWithdrawal, payout_provider: FakePayoutProvider, broadcaster: FakeBroadcaster
) -> None:
    handled = await submit()

    assert handled is None
    assert payout_provider.requests == []
    assert broadcaster.published == []


async def test_the_oldest_queued_withdrawal_is_sent_first(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
) -> None:
    newer = await queue(withdrawals, allowance, created_at=CREATED_AT + timedelta(seconds=1))
    older = await queue(withdrawals, allowance, created_at=CREATED_AT)

    await submit()
    await submit()

    assert payout_provider.sent_ids() == [older.originator_conversation_id, newer.originator_conversation_id]


async def test_the_submission_is_stored_before_daraja_is_called(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    queued = await queue(withdrawals, allowance)
    stored_when_sent: list[Withdrawal] = []

    async def look_at_the_store(_: B2cRequest) -> None:
        stored_when_sent.append(withdrawals.get(queued.id))

    submit = make_submit(withdrawals, FakePayoutProvider(look_at_the_store), allowance, broadcaster, clock)

    await submit()

    [stored] = stored_when_sent
    assert (stored.status, stored.outcome_unknown) == (WithdrawalStatus.SUBMITTED, True)
    assert (stored.lease_owner, stored.lease_expires_at) == ("worker-1", clock.now() + timedelta(seconds=LEASE_SECONDS))


async def test_a_worker_that_dies_during_the_call_leaves_a_withdrawal_no_one_sends_again(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    await queue(withdrawals, allowance)

    async def the_worker_dies(_: B2cRequest) -> None:
        raise asyncio.CancelledError

    dying = make_submit(withdrawals, FakePayoutProvider(the_worker_dies), allowance, broadcaster, clock)
    with pytest.raises(asyncio.CancelledError):
        await dying()
    clock.advance(seconds=LEASE_SECONDS + 1)
    survivor_provider = FakePayoutProvider()
    survivor = make_submit(withdrawals, survivor_provider, allowance, broadcaster, clock, worker_id="worker-2")

    handled = await survivor()

    assert handled is None
    assert survivor_provider.requests == []
    [stored] = withdrawals.all()
    assert (stored.status, stored.outcome_unknown) == (WithdrawalStatus.SUBMITTED, True)


async def test_a_refused_request_is_rejected_for_good_and_its_reservation_given_back(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
    broadcaster: FakeBroadcaster,
) -> None:
    queued = await queue(withdrawals, allowance)
    payout_provider.will_raise(ProviderRejectedError("400.002.02", "Bad Request - Invalid PartyB"))

    handled = await submit()

    stored = withdrawals.get(queued.id)
    assert stored.status is WithdrawalStatus.REJECTED
    assert (stored.result_code, stored.result_desc) == ("400.002.02", "Bad Request - Invalid PartyB")
    assert handled is not None and handled.status is WithdrawalStatus.REJECTED
    assert allowance.reserved(queued.subject, queued.allowance_day) == 0
    assert broadcaster.published == [(TOPIC, stored.view())]
    assert await submit() is None


async def test_a_request_that_never_reached_daraja_is_queued_again_and_sent_by_the_next_call(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
    broadcaster: FakeBroadcaster,
) -> None:
    queued = await queue(withdrawals, allowance)
    payout_provider.will_raise(ProviderUnreachableError("connection refused"))

    with pytest.raises(ProviderUnreachableError):
        await submit()
    back_in_queue = withdrawals.get(queued.id)
    published_while_unreachable = list(broadcaster.published)
    await submit()

    assert (back_in_queue.status, back_in_queue.lease_owner, back_in_queue.outcome_unknown) == (
        WithdrawalStatus.QUEUED,
        None,
        False,
    )
    assert published_while_unreachable == []
    assert allowance.reserved(queued.subject, queued.allowance_day) == queued.amount.shillings
    assert payout_provider.sent_ids() == [queued.originator_conversation_id] * 2
    assert withdrawals.get(queued.id).status is WithdrawalStatus.SUBMITTED
    assert await submit() is None
    assert len(payout_provider.requests) == 2


@pytest.mark.parametrize(
    "fault",
    [ProviderOutcomeUnknownError("read timed out"), RuntimeError("bug in the adapter")],
    ids=["outcome unknown", "unexpected error"],
)
async def test_a_lost_answer_leaves_the_withdrawal_submitted_with_an_unknown_outcome_and_never_resent(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
    broadcaster: FakeBroadcaster,
    fault: Exception,
) -> None:
    queued = await queue(withdrawals, allowance)
    payout_provider.will_raise(fault)

    handled = await submit()
    again = await submit()

    stored = withdrawals.get(queued.id)
    assert (stored.status, stored.outcome_unknown, stored.conversation_id) == (WithdrawalStatus.SUBMITTED, True, None)
    assert stored.lease_owner is None
    assert handled is not None and handled.view() == stored.view()
    assert again is None
    assert len(payout_provider.requests) == 1
    assert allowance.reserved(queued.subject, queued.allowance_day) == queued.amount.shillings
    assert broadcaster.published == [(TOPIC, stored.view())]


async def test_a_duplicate_originator_conversation_id_means_it_was_sent_before_and_it_stays_submitted(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
    broadcaster: FakeBroadcaster,
) -> None:
    queued = await queue(withdrawals, allowance)
    payout_provider.will_raise(DuplicatePayoutError("Duplicate OriginatorConversationID"))

    await submit()

    stored = withdrawals.get(queued.id)
    assert (stored.status, stored.outcome_unknown, stored.result_code) == (WithdrawalStatus.SUBMITTED, False, None)
    assert allowance.reserved(queued.subject, queued.allowance_day) == queued.amount.shillings
    assert broadcaster.published == [(TOPIC, stored.view())]
    assert await submit() is None


async def test_two_workers_send_each_withdrawal_exactly_once(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    queued = [await queue(withdrawals, allowance, created_at=CREATED_AT + timedelta(seconds=n)) for n in range(12)]
    senders: list[str | None] = []

    async def note_the_sender(request: B2cRequest) -> None:
        [sending] = [w for w in withdrawals.all() if w.originator_conversation_id == request.originator_conversation_id]
        senders.append(sending.lease_owner)
        await asyncio.sleep(0)

    provider = FakePayoutProvider(note_the_sender)
    workers = [make_submit(withdrawals, provider, allowance, broadcaster, clock, f"worker-{n}") for n in (1, 2)]

    async def drain(submit: SubmitNextWithdrawal) -> None:
        while await submit() is not None:
            pass

    await asyncio.gather(*(drain(worker) for worker in workers))

    assert sorted(provider.sent_ids()) == sorted(w.originator_conversation_id for w in queued)
    assert set(senders) == {"worker-1", "worker-2"}
    assert {w.status for w in withdrawals.all()} == {WithdrawalStatus.SUBMITTED}
    assert len({w.conversation_id for w in withdrawals.all()}) == len(queued)


async def test_a_claim_whose_lease_ended_is_taken_over(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
    clock: FixedClock,
) -> None:
    queued = await queue(withdrawals, allowance)
    await withdrawals.claim_next("dead-worker", clock.now(), clock.now() + timedelta(seconds=LEASE_SECONDS))

    while_leased = await submit()
    clock.advance(seconds=LEASE_SECONDS + 1)
    after_the_lease = await submit()

    assert while_leased is None
    assert after_the_lease is not None and after_the_lease.status is WithdrawalStatus.SUBMITTED
    assert payout_provider.sent_ids() == [queued.originator_conversation_id]


async def test_a_worker_whose_claim_was_taken_over_does_not_send(
    submit: SubmitNextWithdrawal,
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    payout_provider: FakePayoutProvider,
    broadcaster: FakeBroadcaster,
) -> None:
    queued = await queue(withdrawals, allowance)

    def another_worker_takes_it(stored: Withdrawal) -> None:
        stored.lease_owner, stored.lease_expires_at = "worker-2", stored.created_at + timedelta(seconds=LEASE_SECONDS)

    withdrawals.interleave_write(another_worker_takes_it)

    handled = await submit()

    assert payout_provider.requests == []
    assert handled is None
    stored = withdrawals.get(queued.id)
    assert (stored.status, stored.lease_owner) == (WithdrawalStatus.QUEUED, "worker-2")
    assert broadcaster.published == []


async def test_a_result_that_lands_before_the_submission_is_recorded_wins(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    queued = await queue(withdrawals, allowance)

    async def result_arrives_first(_: B2cRequest) -> None:
        in_flight = withdrawals.get(queued.id)
        result = b2c_success_for(in_flight, conversation_id="AG_1")
        withdrawals.write_behind_your_back(queued.id, lambda stored: stored.settle(result, clock.now()))

    provider = FakePayoutProvider(result_arrives_first)
    provider.will_accept("AG_1")
    submit = make_submit(withdrawals, provider, allowance, broadcaster, clock)

    handled = await submit()

    assert handled is not None and handled.status is WithdrawalStatus.SUCCESS
    stored = withdrawals.get(queued.id)
    assert (stored.status, stored.receipt, stored.conversation_id) == (WithdrawalStatus.SUCCESS, "SG632NMUAB", "AG_1")
    assert broadcaster.published == []


async def test_a_queue_timeout_that_lands_during_the_call_is_kept_and_never_resent(
    withdrawals: FakeWithdrawalRepository,
    allowance: FakeDailyAllowance,
    broadcaster: FakeBroadcaster,
    clock: FixedClock,
) -> None:
    queued = await queue(withdrawals, allowance)

    async def timeout_arrives_first(_: B2cRequest) -> None:
        notice = queue_timeout_for(withdrawals.get(queued.id))
        withdrawals.write_behind_your_back(queued.id, lambda stored: stored.time_out(notice, clock.now()))

    provider = FakePayoutProvider(timeout_arrives_first)
    submit = make_submit(withdrawals, provider, allowance, broadcaster, clock)

    handled = await submit()
    again = await submit()

    assert handled is not None and handled.status is WithdrawalStatus.TIMEOUT
    assert withdrawals.get(queued.id).status is WithdrawalStatus.TIMEOUT
    assert again is None
    assert len(provider.requests) == 1
