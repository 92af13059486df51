"""A push whose process died before Daraja answered, stored without Daraja's ids: once no answer can still be on its
way it is shown as outcome unknown, with its age, to the operator and to a reconnecting client; never sent again."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

from adapters.mongo.client import MongoDatabase
from adapters.mongo.stk_payment_repository import MongoPaymentRepository
from adapters.mongo.stuck_records import MongoStuckRecords
from domain.records.use_cases.catch_up import CatchUp
from domain.records.use_cases.list_stuck_records import ListStuckRecords
from tests.support.factories import CREATED_AT, SUBJECT, PaymentFactory
from tests.unit.fakes import FixedClock

UNANSWERED_AFTER = timedelta(minutes=2)


async def stored_pushes(payments: MongoPaymentRepository) -> tuple[str, str, str]:
    """A push recorded but never answered, one recorded a moment ago (its answer may still come), and one accepted."""
    killed = PaymentFactory.build(checkout=None, merchant_request=None)
    moment_ago = CREATED_AT + timedelta(minutes=9)
    in_flight = PaymentFactory.build(checkout=None, merchant_request=None, created_at=moment_ago, updated_at=moment_ago)
    accepted = PaymentFactory.build()
    for payment in (killed, in_flight, accepted):
        await payments.add(replace(payment, history=[]))
    return killed.id, in_flight.id, accepted.id


async def test_the_operator_sees_a_push_stored_without_darajas_ids_as_outcome_unknown_with_its_age(
    database: MongoDatabase, payments: MongoPaymentRepository
) -> None:
    killed, in_flight, accepted = await stored_pushes(payments)
    clock = FixedClock(CREATED_AT + timedelta(minutes=10))
    listing = ListStuckRecords(MongoStuckRecords(database), clock, UNANSWERED_AFTER)

    shown = {record["id"]: record for record in (r.view() for r in await listing(timedelta(0), 10))}

    assert (shown[killed]["outcome_unknown"], shown[killed]["age_seconds"]) == (True, 600)
    assert (shown[in_flight]["outcome_unknown"], shown[in_flight]["age_seconds"]) == (False, 60)
    assert shown[accepted]["outcome_unknown"] is False and shown[accepted]["checkout"] is not None
    assert shown[killed]["status"] == "pending" and shown[killed]["checkout"] is None


async def test_a_reconnecting_client_is_shown_it_as_outcome_unknown_with_its_age(
    payments: MongoPaymentRepository,
) -> None:
    killed, in_flight, accepted = await stored_pushes(payments)
    clock = FixedClock(CREATED_AT + timedelta(minutes=10))
    catch_up = CatchUp(payments, clock, timedelta(minutes=15), 100, UNANSWERED_AFTER)

    sent: list[dict[str, Any]] = []

    async def send(view: dict[str, Any]) -> None:
        sent.append(view)

    await catch_up(SUBJECT, send)
    shown = {view["id"]: view for view in sent}

    assert (shown[killed]["status"], shown[killed]["outcome_unknown"], shown[killed]["age_seconds"]) == (
        "pending",
        True,
        600,
    )
    assert (shown[in_flight]["outcome_unknown"], shown[in_flight]["age_seconds"]) == (False, 60)
    assert shown[accepted]["outcome_unknown"] is False
    assert killed not in {payment.id for payment in await payments.due_for_check(clock.now(), 10)}
