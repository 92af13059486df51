"""Apply every step not yet recorded, in order, exactly once even when several processes start together."""

import asyncio
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from adapters.mongo.client import MongoCollection, MongoDatabase
from migrations.steps import STEPS

MIGRATIONS_COLLECTION = "schema_migrations"


class MigrationStep(Protocol):
    """A module of `migrations.steps`."""

    VERSION: int
    NAME: str

    async def apply(self, database: MongoDatabase) -> None: ...


class MigrationInProgressError(RuntimeError):
    """Another process claimed a step and did not finish it in time (it may have died: see its record)."""


class MigrationHistoryError(RuntimeError):
    """The recorded history disagrees with the steps in the code."""


async def apply_migrations(
    database: MongoDatabase,
    *,
    steps: Sequence[MigrationStep] | None = None,
    wait_timeout: float = 60.0,
    poll_interval: float = 0.1,
) -> list[str]:
    """Apply the steps this database lacks and return their names; wait for those another process is applying.

    A step is claimed by inserting its record (unique on `version`) before it runs and marked applied after:
    the process whose insert fails on the duplicate key waits for the winner instead of running it again.
    A step that raises releases its claim, so the next start tries again.
    """
    steps = STEPS if steps is None else steps
    _ensure_ordered(steps)
    records = database[MIGRATIONS_COLLECTION]
    await records.create_index([("version", ASCENDING)], unique=True)
    applied: list[str] = []
    for step in steps:
        if await _apply_or_wait(records, step, database, wait_timeout, poll_interval):
            applied.append(step.NAME)
    return applied


async def _apply_or_wait(
    records: MongoCollection,
    step: MigrationStep,
    database: MongoDatabase,
    wait_timeout: float,
    poll_interval: float,
) -> bool:
    """True if this call applied the step, False if it was (or got) applied by someone else."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_timeout
    while True:
        record = await records.find_one({"version": step.VERSION})
        if record is None:
            if await _apply_if_claimed(records, step, database):
                return True
            continue
        _ensure_same_step(record, step)
        if record["applied_at"] is not None:
            return False
        if loop.time() > deadline:
            raise MigrationInProgressError(
                f"migration {step.VERSION} {step.NAME} was claimed by {record['claimed_by']} at"
                f" {record['claimed_at']:%Y-%m-%d %H:%M:%S}Z and is not applied after {wait_timeout} s; if that process"
                f" died, delete its record from {MIGRATIONS_COLLECTION} and start again"
            )
        await asyncio.sleep(poll_interval)


async def _apply_if_claimed(records: MongoCollection, step: MigrationStep, database: MongoDatabase) -> bool:
    claim = uuid.uuid4().hex
    record = {
        "version": step.VERSION,
        "name": step.NAME,
        "claim": claim,
        "claimed_by": f"{socket.gethostname()}:{os.getpid()}",
        "claimed_at": datetime.now(UTC),
        "applied_at": None,
    }
    try:
        await records.insert_one(dict(record))
    except DuplicateKeyError:
        return False
    try:
        await step.apply(database)
    except BaseException:
        await records.delete_one({"version": step.VERSION, "claim": claim, "applied_at": None})
        raise
    # Replaced whole rather than `$set`: the embedded store would keep a `$set` datetime as a string.
    await records.replace_one({"version": step.VERSION, "claim": claim}, {**record, "applied_at": datetime.now(UTC)})
    return True


def _ensure_same_step(record: dict[str, Any], step: MigrationStep) -> None:
    if record["name"] != step.NAME:
        raise MigrationHistoryError(
            f"migration {step.VERSION} is recorded as {record['name']!r} but the code calls it {step.NAME!r}"
        )


def _ensure_ordered(steps: Sequence[MigrationStep]) -> None:
    versions = [step.VERSION for step in steps]
    if versions != sorted(set(versions)):
        raise MigrationHistoryError(f"migration versions must be unique and ascending, got {versions}")
