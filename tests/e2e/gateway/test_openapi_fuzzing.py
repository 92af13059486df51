"""schemathesis against the running gateway's own OpenAPI document (`/schema/openapi.json`): every operation the
document lists, whatever it is (new endpoints are covered as they appear), gets generated requests that break its
schema and requests that follow it.

Invalid input never gets a 5xx, never a stack trace, and never creates or changes a record: the business
collections are the same, document for document, before and after. The callback journal and the anomaly log are
left out of that comparison on purpose: they record every callback received, forged and malformed ones above all.
Valid input may reach Daraja, so a 502/503 from the error catalogue is a fair answer there, never a 500.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import WAIT_SECONDS

DATABASE = "e2e_openapi"  # its own, so the record comparison sees nothing but these requests
# The records invalid input must leave alone (the journal and anomalies record every callback by design).
RECORDS = (
    "stk_payments",
    "b2c_withdrawals",
    "idempotency_keys",
    "b2c_daily_totals",
    "c2b_requests",
    "c2b_payments",
)
# Bounded per operation, so the whole module runs in well under a minute or two.
EXAMPLES_PER_OPERATION = 25
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
LEAKS = ("Traceback", 'File "', "pymongo", "msgspec.", "litestar.", "odmantic")
# What valid input may fairly get from a Daraja in trouble (docs/protocol.md: error codes).
DARAJA_TROUBLE = {"PROVIDER_ERROR", "PROVIDER_UNAVAILABLE"}
OPERATOR_TOKEN = "o" * 40


@pytest.fixture(scope="module")
def fuzzed(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        OPERATOR_TOKEN=OPERATOR_TOKEN,  # so the operator endpoints are served and listed too
        # Valid webhook registrations name made-up hosts: no deliverer may go looking for them (loopback only).
        WORKER_ENABLED="false",
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def schema(fuzzed: Gateway) -> OpenApiSchema:
    with fuzzed.http() as http:
        document = http.get("/schema/openapi.json").json()
    loaded = schemathesis.openapi.from_dict(document)
    assert isinstance(loaded, OpenApiSchema)
    return loaded


@pytest.fixture(scope="module")
def records(store: EmbeddedMongo) -> Iterator[pymongo.database.Database]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]
    client.close()


def snapshot(database: Any) -> dict[str, list[str]]:
    return {
        name: sorted(json.dumps(document, default=str, sort_keys=True) for document in database[name].find())
        for name in RECORDS
    }


def settled_payment(gateway: Gateway, database: Any) -> None:
    """A stored, final payment: something invalid input could try to change."""
    body = {"phone": fresh_phone(), "amount": 100, "description": "Schema fuzzing", "hash": "openapi"}
    with gateway.http() as http:
        payment_id = http.post("/api/v1/mpesa/stk/push", json=body).json()["data"]["id"]
    for _ in range(200):  # bounded: the simulator calls back within a second
        if database["stk_payments"].find_one({"payment_id": payment_id, "status": "success"}):
            return
        time.sleep(0.05)
    raise AssertionError("the seeded payment never settled")


def operations(schema: OpenApiSchema) -> list[Any]:
    listed = [result.ok() for result in schema.get_all_operations()]
    assert listed, "the OpenAPI document lists no operation"
    return listed


def call(case: Any, gateway: Gateway, certfile: Path) -> httpx.Response:
    response = case.call(base_url=gateway.https, verify=str(certfile), timeout=WAIT_SECONDS)
    assert all(leak not in response.text for leak in LEAKS), f"{case.operation.label}: {response.text[:300]}"
    return response


def fuzz(schema: OpenApiSchema, mode: GenerationMode, examine: Any) -> list[str]:
    """Run `examine` on generated cases of every operation; the labels of those that had any to generate (an
    operation without parameters or body has nothing to break)."""
    examined = []
    for operation in operations(schema):

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def each(case: Any) -> None:
            examine(case)

        try:
            each()
        except Unsatisfiable:
            continue
        examined.append(operation.label)
    return examined


def test_invalid_requests_to_every_operation_get_no_5xx_no_stack_trace_and_change_no_record(
    fuzzed: Gateway, schema: OpenApiSchema, records: Any, tls_files: tuple[Path, Path]
) -> None:
    settled_payment(fuzzed, records)
    before = snapshot(records)

    def examine(case: Any) -> None:
        response = call(case, fuzzed, tls_files[0])
        assert response.status_code < 500, f"{case.operation.label} answered {response.status_code}: {response.text}"

    examined = fuzz(schema, GenerationMode.NEGATIVE, examine)

    with_body = {operation.label for operation in operations(schema) if len(operation.body) > 0}
    assert with_body and with_body <= set(examined)
    assert snapshot(records) == before


def test_valid_requests_to_every_operation_never_get_a_500_or_a_stack_trace(
    fuzzed: Gateway, schema: OpenApiSchema, tls_files: tuple[Path, Path]
) -> None:
    def examine(case: Any) -> None:
        response = call(case, fuzzed, tls_files[0])
        if response.status_code >= 500:
            code = response.json().get("error", {}).get("code") if response.text.startswith("{") else None
            assert code in DARAJA_TROUBLE, f"{case.operation.label} answered {response.status_code}: {response.text}"

    assert fuzz(schema, GenerationMode.POSITIVE, examine) == [o.label for o in operations(schema)]
