"""What Daraja's STK callback costs the store, counted at the driver: for a payment this process stored while open
it reads nothing, and a payment that changed elsewhere since is refused by its write, read again and never changed
twice. Against the real store, with two gateway instances on one database."""

import pytest

from adapters.mongo.anomaly_log import MongoAnomalyLog
from adapters.mongo.client import MongoDatabase
from adapters.mongo.command_counter import StoreCommandCounter
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from domain.callbacks.anomaly import AnomalyKind
from domain.callbacks.outcome import CallbackOutcome
from domain.stk.result_codes import PaymentStatus
from domain.stk.use_cases.handle_callback import HandleStkCallback
from tests.support.factories import PaymentFactory, failure_for, success_for
from tests.unit.fakes import FakeBroadcaster, FixedClock

PAYMENTS = "stk_payments"


class StkInstance:
    """One gateway instance's STK callback path over the real store (Daraja and the clients faked)."""

    def __init__(self, database: MongoDatabase) -> None:
        self.payments = MongoPaymentRepository(database)
        self.broadcaster = FakeBroadcaster()
        self.anomalies = MongoAnomalyLog(database)
        self.handle = HandleStkCallback(self.payments, self.broadcaster, FixedClock(), self.anomalies)


def commands(counter: StoreCommandCounter) -> dict[tuple[str, str], int]:
    taken = dict(counter.counts)
    counter.counts.clear()
    return taken


@pytest.fixture
def store(counted_store: tuple[MongoDatabase, StoreCommandCounter]) -> MongoDatabase:
    return counted_store[0]


@pytest.fixture
def counter(counted_store: tuple[MongoDatabase, StoreCommandCounter]) -> StoreCommandCounter:
    return counted_store[1]


async def test_the_callback_for_a_payment_this_process_stored_is_one_write(
    store: MongoDatabase, counter: StoreCommandCounter
) -> None:
    here = StkInstance(store)
    payment = PaymentFactory.build()
    await here.payments.add(payment)
    commands(counter)

    outcome = await here.handle(payment.callback_token, success_for(payment))

    assert outcome is CallbackOutcome.APPLIED
    assert commands(counter) == {("findAndModify", PAYMENTS): 1}
    stored = await here.payments.by_checkout(payment.subject, payment.id)
    assert stored is not None and (stored.status, stored.version) == (PaymentStatus.SUCCESS, 1)
    assert [update["status"] for _, update in here.broadcaster.published] == ["success"]


async def test_the_callback_for_a_payment_another_instance_stored_reads_it_first(
    store: MongoDatabase, counter: StoreCommandCounter
) -> None:
    pushed_there, here = StkInstance(store), StkInstance(store)
    payment = PaymentFactory.build()
    await pushed_there.payments.add(payment)
    commands(counter)

    outcome = await here.handle(payment.callback_token, success_for(payment))

    assert outcome is CallbackOutcome.APPLIED
    assert commands(counter) == {("find", PAYMENTS): 1, ("findAndModify", PAYMENTS): 1}


async def test_a_callback_another_instance_applied_first_is_read_again_and_changes_nothing(
    store: MongoDatabase, counter: StoreCommandCounter
) -> None:
    here, there = StkInstance(store), StkInstance(store)
    payment = PaymentFactory.build()
    await here.payments.add(payment)
    assert await there.handle(payment.callback_token, success_for(payment)) is CallbackOutcome.APPLIED
    commands(counter)

    outcome = await here.handle(payment.callback_token, success_for(payment))

    assert outcome is CallbackOutcome.DUPLICATE
    # Its write on the version it stored is refused; the payment is read and found paid already.
    assert commands(counter) == {("findAndModify", PAYMENTS): 1, ("find", PAYMENTS): 1}
    stored = await here.payments.by_checkout(payment.subject, payment.id)
    assert stored is not None and stored.status is PaymentStatus.SUCCESS
    assert [change.status for change in stored.history].count("success") == 1
    assert here.broadcaster.published == []


async def test_a_success_after_another_instance_settled_the_payment_unpaid_leaves_it_unpaid_and_is_an_anomaly(
    store: MongoDatabase,
) -> None:
    here, there = StkInstance(store), StkInstance(store)
    payment = PaymentFactory.build()
    await here.payments.add(payment)
    cancelled = failure_for(payment, "1032")
    assert await there.handle(payment.callback_token, cancelled) is CallbackOutcome.APPLIED

    outcome = await here.handle(payment.callback_token, success_for(payment))

    assert outcome is CallbackOutcome.DUPLICATE
    stored = await here.payments.by_checkout(payment.subject, payment.id)
    assert stored is not None and (stored.status, stored.result_code) == (PaymentStatus.CANCELLED, "1032")
    [anomaly] = await store["anomalies"].find({"payment_id": payment.id}).to_list()
    assert (anomaly["kind"], anomaly["stored_status"]) == (AnomalyKind.LATE_SUCCESS.value, "cancelled")
