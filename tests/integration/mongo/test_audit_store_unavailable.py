"""With no store to reach, the audit adapters refuse promptly with StoreUnavailableError."""

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.local_process import free_port
from adapters.mongo.anomaly_log import MongoAnomalyLog
from adapters.mongo.callback_journal import MongoCallbackJournal
from adapters.mongo.client import MongoDatabase, create_mongo_client
from adapters.mongo.stuck_records import MongoStuckRecords
from domain.callbacks.anomaly import Anomaly, AnomalyKind
from domain.callbacks.received_callback import CallbackKind
from domain.shared.errors import StoreUnavailableError
from tests.support.factories import received_callback

TIMEOUT = 0.5
REFUSED_WITHIN = TIMEOUT + 2.0
NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)

OPERATIONS: dict[str, Callable[[MongoDatabase], Awaitable[Any]]] = {
    "journal.record": lambda database: MongoCallbackJournal(database).record(received_callback(at=NOW)),
    "anomalies.record": lambda database: MongoAnomalyLog(database).record(
        Anomaly(AnomalyKind.REJECTED, CallbackKind.STK, "x", NOW)
    ),
    "anomalies.recent": lambda database: MongoAnomalyLog(database).recent(10),
    "stuck.updated_before": lambda database: MongoStuckRecords(database).updated_before(NOW, 10),
}


@pytest.fixture
async def nowhere() -> AsyncIterator[MongoDatabase]:
    """A database on a port where no server listens."""
    client = create_mongo_client(f"mongodb://127.0.0.1:{free_port()}", TIMEOUT)
    yield client["audit_unavailable"]
    await client.close()


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
async def test_each_audit_operation_is_refused_promptly(
    nowhere: MongoDatabase, operation: Callable[[MongoDatabase], Awaitable[Any]]
) -> None:
    started = time.monotonic()

    with pytest.raises(StoreUnavailableError):
        await operation(nowhere)

    assert time.monotonic() - started < REFUSED_WITHIN
