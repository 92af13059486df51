"""What an operator is shown: records stuck outside a final state, and anomalies newest first."""

from datetime import UTC, datetime, timedelta

from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.received_callback import CallbackKind
from domain.callbacks.use_cases.list_anomalies import ListAnomalies
from domain.records.ports import StuckKind, StuckRecord
from domain.records.use_cases.list_stuck_records import ListStuckRecords
from domain.shared.phone import Phone
from tests.unit.fakes import FakeAnomalies, FakeStuckRecords, FixedClock

NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


def stuck(record_id: str, unchanged_for: timedelta, kind: StuckKind = StuckKind.STK) -> StuckRecord:
    at = NOW - unchanged_for
    ids = (("checkout", "ws_CO_1"), ("merchant_request", None))
    return StuckRecord(kind, record_id, "h" * 32, "pending", 100, Phone("254712345678"), at, at, True, ids)


def anomaly(kind: AnomalyKind, minutes_ago: int) -> Anomaly:
    return Anomaly(kind, CallbackKind.STK, "why", NOW - timedelta(minutes=minutes_ago))


async def test_only_records_unchanged_for_longer_than_asked_are_listed_longest_first() -> None:
    records = FakeStuckRecords(stuck("recent", timedelta(minutes=1)), stuck("old", timedelta(hours=2)))
    records.records.append(stuck("older", timedelta(hours=3), StuckKind.B2C))
    list_stuck = ListStuckRecords(records, FixedClock(NOW))

    found = await list_stuck(timedelta(minutes=5), limit=10)

    assert [record.id for record in found] == ["older", "old"]


def test_a_stuck_record_is_shown_with_its_phone_masked_and_daraja_ids() -> None:
    view = stuck("pay-1", timedelta(hours=1)).view()

    assert view["phone"] == "2547****5678"
    assert (view["kind"], view["checkout"], view["merchant_request"]) == ("stk", "ws_CO_1", None)
    assert view["updated_at"] == (NOW - timedelta(hours=1)).isoformat()


async def test_anomalies_are_listed_newest_first_and_filtered_by_kind() -> None:
    anomalies = FakeAnomalies()
    for recorded in (
        anomaly(AnomalyKind.REJECTED, 3),
        anomaly(AnomalyKind.LATE_SUCCESS, 2),
        anomaly(AnomalyKind.REJECTED, 1),
    ):
        await anomalies.record(recorded)
    list_anomalies = ListAnomalies(anomalies)

    everything = await list_anomalies(10)
    rejected = await list_anomalies(1, AnomalyKind.REJECTED)

    assert [a.at for a in everything] == sorted((a.at for a in everything), reverse=True)
    assert [(a.kind, a.at) for a in rejected] == [(AnomalyKind.REJECTED, NOW - timedelta(minutes=1))]


def test_a_late_success_is_shown_as_critical() -> None:
    view = anomaly(AnomalyKind.LATE_SUCCESS, 0).view()

    assert (view["kind"], view["severity"], view["callback"]) == ("late_success", "critical", "stk")
