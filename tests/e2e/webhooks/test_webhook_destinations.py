"""Webhooks never reach the gateway's internal network: an API-key holder can neither register an internal address
nor learn anything from the delivery log of one stored anyway, while an allowed receiver still gets every event."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest

from adapters.local_process import free_port
from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.webhook_receiver import running_receiver

DATABASE = "webhook_destinations_e2e"
# Private networks are refused, as outside the simulator; the merchant's receiver (127.0.0.2) is the one allowed.
RECEIVER_HOST = "127.0.0.2"
NOT_ALLOWED = {"status_code": None, "latency_ms": 0, "error": "destination not allowed"}


@pytest.fixture(scope="module")
def strict_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        WEBHOOK_ALLOW_PRIVATE_NETWORKS="false",
        WEBHOOK_ALLOWED_NETWORKS=f"{RECEIVER_HOST}/32",
        WEBHOOK_POLL_SECONDS="0.1",
    )
    yield gateway
    gateway.process.stop()


def endpoints(gateway: Gateway) -> list[dict[str, Any]]:
    with gateway.http() as client:
        listed: list[dict[str, Any]] = client.get("/api/v1/webhooks").json()["data"]
    return listed


def test_registering_an_internal_address_is_refused_with_a_clear_code_and_stores_nothing(
    strict_gateway: Gateway, store: EmbeddedMongo
) -> None:
    before = endpoints(strict_gateway)
    internal = [
        f"http://127.0.0.1:{store.port}/",  # the local store
        f"http://localhost:{strict_gateway.port}/api/v1/operator",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[::ffff:169.254.169.254]/",
        "http://127.1:6379/",
        "https://10.0.0.1/hooks",
        "https://[fd00::1]/hooks",
        "https://100.64.0.1/hooks",
    ]

    with strict_gateway.http() as client:
        answers = [client.post("/api/v1/webhooks", json={"url": url}) for url in internal]

    assert [answer.status_code for answer in answers] == [400] * len(internal)
    assert {answer.json()["error"]["code"] for answer in answers} == {"WEBHOOK_DESTINATION_NOT_ALLOWED"}
    assert endpoints(strict_gateway) == before


def test_an_internal_address_stored_anyway_is_refused_at_delivery_revealing_nothing_while_the_receiver_gets_events(
    strict_gateway: Gateway, store: EmbeddedMongo
) -> None:
    with running_receiver(host=RECEIVER_HOST) as receiver, strict_gateway.http() as client:
        registered = [client.post("/api/v1/webhooks", json={"url": receiver.url}).json() for _ in range(3)]
        allowed, to_store, to_closed_port = (endpoint["id"] for endpoint in registered)
        # As an endpoint registered before the check existed, or a DNS name that now resolves inside: the
        # delivery-time check is what stands between it and the internal network.
        mongo: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(store.url)
        for endpoint_id, url in ((to_store, f"http://127.0.0.1:{store.port}/"), (to_closed_port, _closed_port_url())):
            mongo[DATABASE]["webhook_endpoints"].update_one({"endpoint_id": endpoint_id}, {"$set": {"url": url}})
        mongo.close()
        body = {"phone": fresh_phone(), "amount": 100, "description": "Destinations", "hash": "destinations"}
        payment = client.post("/api/v1/mpesa/stk/push", json=body).json()["data"]

        delivered = receiver.wait_for(
            lambda got: any(r.event["type"] == "stk.succeeded" and r.event["data"]["id"] == payment["id"] for r in got)
        )
        allowed_state = client.get(f"/api/v1/webhooks/{allowed}").json()["state"]
        refused = [client.get(f"/api/v1/webhooks/{endpoint_id}").json() for endpoint_id in (to_store, to_closed_port)]
        logs = [
            client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries").json()["data"]
            for endpoint_id in (to_store, to_closed_port)
        ]

    assert {request.header("Host") for request in delivered} == {f"{RECEIVER_HOST}:{receiver.port}"}
    assert allowed_state == "enabled"
    assert [(e["state"], e["last_error"], e["failed_attempts"]) for e in refused] == [
        ("disabled", "destination not allowed", 1)
    ] * 2
    attempts = [[_without_time(a) for d in log for a in d["attempts"]] for log in logs]
    assert attempts == [[NOT_ALLOWED], [NOT_ALLOWED]]


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/"


def _without_time(attempt: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in attempt.items() if key != "at"}
