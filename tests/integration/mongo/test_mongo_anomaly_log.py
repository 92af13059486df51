"""Anomalies are kept whole and listed newest first, all of them or one kind."""

from datetime import UTC, datetime, timedelta

import pytest

from adapters.mongo.anomaly_log import MongoAnomalyLog
from adapters.mongo.client import MongoDatabase
from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.received_callback import CallbackKind

# Whole seconds apart: the embedded store compares dates to the second.
AT = datetime(2025, 3, 14, 9, 26, 53, 125_000, tzinfo=UTC)


@pytest.fixture
def log(database: MongoDatabase) -> MongoAnomalyLog:
    return MongoAnomalyLog(database)


def late_success(at: datetime = AT) -> Anomaly:
    return Anomaly(
        AnomalyKind.LATE_SUCCESS,
        CallbackKind.STK,
        "a success callback for a payment already timeout",
        at,
        journal_id="65f2d0c1a1b2c3d4e5f60718",
        payment_id="pay-1",
        checkout="ws_CO_1",
        merchant_request="29115-34620561-1",
        result_code="0",
        stored_status="timeout",
        stored_result_code="1037",
    )


async def test_an_anomaly_comes_back_as_recorded_and_is_stored_with_its_severity(
    log: MongoAnomalyLog, database: MongoDatabase
) -> None:
    await log.record(late_success())

    assert await log.recent(10) == [late_success()]
    stored = await database["anomalies"].find_one({"payment_id": "pay-1"})
    assert stored is not None
    assert (stored["kind"], stored["severity"], stored["at"]) == ("late_success", "critical", AT)


async def test_anomalies_are_listed_newest_first_up_to_the_limit(log: MongoAnomalyLog) -> None:
    for seconds in (0, 2, 1, 3):
        await log.record(late_success(AT + timedelta(seconds=seconds)))

    newest = await log.recent(3)

    assert [anomaly.at for anomaly in newest] == [AT + timedelta(seconds=s) for s in (3, 2, 1)]


async def test_anomalies_of_one_instant_are_listed_last_recorded_first(log: MongoAnomalyLog) -> None:
    for payment_id in ("first", "second", "third"):
        await log.record(Anomaly(AnomalyKind.REJECTED, CallbackKind.B2C_RESULT, "x", AT, withdrawal_id=payment_id))

    listed = await log.recent(3)

    assert [anomaly.withdrawal_id for anomaly in listed] == ["third", "second", "first"]


async def test_anomalies_can_be_listed_by_kind(log: MongoAnomalyLog) -> None:
    await log.record(late_success(AT))
    await log.record(Anomaly(AnomalyKind.REJECTED, CallbackKind.STK, "no payment has this callback URL", AT))
    await log.record(late_success(AT + timedelta(seconds=1)))

    rejected = await log.recent(10, AnomalyKind.REJECTED)
    late = await log.recent(10, AnomalyKind.LATE_SUCCESS)
    disagreeing = await log.recent(10, AnomalyKind.DUPLICATE_DISAGREES)

    assert [anomaly.reason for anomaly in rejected] == ["no payment has this callback URL"]
    assert [anomaly.at for anomaly in late] == [AT + timedelta(seconds=1), AT]
    assert disagreeing == []


async def test_the_anomaly_indexes_exist(log: MongoAnomalyLog, database: MongoDatabase) -> None:
    indexes = await database["anomalies"].index_information()

    assert {tuple(tuple(key) for key in index["key"]) for index in indexes.values()} >= {
        (("at", 1),),
        (("kind", 1), ("at", 1)),
    }
