"""Signed webhooks and the event feed, end to end: a real gateway (its own database, tiny back-off) POSTs to a small
receiver the test runs; the verification snippets of docs/webhooks-and-events.md check every signature."""

import itertools
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.local_process import free_port
from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, cli, start_gateway
from tests.support.signature_snippets import SignatureCase, node_results, python_results
from tests.support.socket_client import SocketClient
from tests.support.webhook_receiver import Received, WebhookReceiver, running_receiver

RETRY_BASE_SECONDS = 0.4
RETRY_MAX_SECONDS = 1.0
HASH = "webhooks-e2e"
WAIT = 40.0


@pytest.fixture(scope="module")
def webhook_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE="webhooks_e2e",
        DARAJA_BASE_URL=simulator.url,
        WEBHOOK_RETRY_BASE_SECONDS=str(RETRY_BASE_SECONDS),
        WEBHOOK_RETRY_MAX_SECONDS=str(RETRY_MAX_SECONDS),
        WEBHOOK_POLL_SECONDS="0.1",
    )
    yield gateway
    gateway.process.stop()


def register(gateway: Gateway, url: str, event_types: list[str] | None = None) -> dict[str, Any]:
    with gateway.http() as client:
        answer = client.post("/api/v1/webhooks", json={"url": url, "event_types": event_types or ["*"]})
    assert answer.status_code == 201, answer.text
    endpoint: dict[str, Any] = answer.json()
    return endpoint


def push(gateway: Gateway, amount: int = 100) -> dict[str, Any]:
    body = {"phone": fresh_phone(), "amount": amount, "description": "Webhook test", "hash": HASH}
    with gateway.http() as client:
        answer = client.post("/api/v1/mpesa/stk/push", json=body)
    assert answer.status_code == 201, answer.text
    payment: dict[str, Any] = answer.json()["data"]
    return payment


def read_feed(gateway: Gateway, after: int = 0, limit: int = 500, **query: str) -> tuple[list[dict[str, Any]], int]:
    """Every event after `after`, paging with `limit`; and the last `next_after`."""
    events: list[dict[str, Any]] = []
    with gateway.http() as client:
        for _ in range(1000):
            answer = client.get("/api/v1/events", params={"after": after, "limit": limit, **query})
            assert answer.status_code == 200, answer.text
            page = answer.json()
            events.extend(page["data"])
            if page["next_after"] == after:
                return events, after
            after = page["next_after"]
    raise AssertionError("the feed never ended")


def feed_until(
    gateway: Gateway, condition: Callable[[list[dict[str, Any]]], bool], after: int = 0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        events, _ = read_feed(gateway, after)
        if condition(events):
            return events
        time.sleep(0.2)
    raise AssertionError("the feed never showed the expected events")


def last_sequence(gateway: Gateway) -> int:
    return read_feed(gateway)[1]


def of_record(events: list[dict[str, Any]], record_id: str) -> list[dict[str, Any]]:
    return [event for event in events if event["data"]["id"] == record_id]


def succeeded(record_ids: set[str]) -> Callable[[list[dict[str, Any]]], bool]:
    def check(events: list[dict[str, Any]]) -> bool:
        done = {e["data"]["id"] for e in events if e["type"] == "stk.succeeded" and e["data"]["id"] in record_ids}
        return done == record_ids

    return check


def signature_cases(secret: str, deliveries: list[Received]) -> list[SignatureCase]:
    return [SignatureCase(secret, delivery.header("Mpesa-Signature"), delivery.body) for delivery in deliveries]


async def test_every_state_change_of_stk_and_b2c_payments_arrives_signed_and_verifiable(
    webhook_gateway: Gateway, tmp_path: Path
) -> None:
    with running_receiver() as receiver:
        endpoint = register(webhook_gateway, receiver.url)
        paid, cancelled = push(webhook_gateway, 100), push(webhook_gateway, 1032)
        async with await SocketClient.connect(f"{webhook_gateway.wss}/mpesa/b2c/{HASH}", webhook_gateway.tls) as b2c:
            ack = await b2c.request(
                {"kind": "withdraw", "payload": {"phone": fresh_phone(), "amount": 500, "description": "Payout"}}
            )
        withdrawal = ack["data"]["id"]
        finals = {paid["id"]: "stk.succeeded", cancelled["id"]: "stk.cancelled", withdrawal: "b2c.succeeded"}

        delivered = receiver.wait_for(
            lambda got: all(
                any(r.event["type"] == t and r.event["data"]["id"] == i for r in got) for i, t in finals.items()
            )
        )
        feed, _ = read_feed(webhook_gateway, endpoint["delivered_through"])

    events = [request.event for request in delivered]
    assert [e["type"] for e in of_record(events, paid["id"])] == ["stk.pending", "stk.pending", "stk.succeeded"]
    assert [e["type"] for e in of_record(events, cancelled["id"])] == ["stk.pending", "stk.pending", "stk.cancelled"]
    assert [e["type"] for e in of_record(events, withdrawal)] == [
        "b2c.queued",
        "b2c.submitted",
        "b2c.submitted",
        "b2c.succeeded",
    ]
    assert of_record(events, paid["id"])[-1]["data"]["receipt"]
    assert of_record(events, paid["id"])[1]["data"]["checkout"] == paid["checkout"]
    assert [e["sequence"] for e in events] == sorted(e["sequence"] for e in events)
    assert events == feed[: len(events)]
    assert all(request.header("Mpesa-Event-Id") == request.event["id"] for request in delivered)
    cases = signature_cases(endpoint["secret"], delivered)
    assert python_results(cases) == [True] * len(cases)
    assert node_results(cases, tmp_path) == [True] * len(cases)


def test_a_receiver_answering_500_three_times_then_200_gets_the_event_on_the_fourth_try_with_back_off(
    webhook_gateway: Gateway,
) -> None:
    with running_receiver(answers=[500, 500, 500]) as receiver:
        endpoint = register(webhook_gateway, receiver.url, ["stk.succeeded"])
        payment = push(webhook_gateway)
        receiver.wait_for(lambda got: len(got) == 1)
        tries = list(receiver.received)
    with webhook_gateway.http() as client:
        log = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json()["data"]
        shown = client.get(f"/api/v1/webhooks/{endpoint['id']}").json()

    assert [request.answered for request in tries] == [500, 500, 500, 200]
    assert {request.header("Mpesa-Event-Id") for request in tries} == {tries[0].event["id"]}
    assert tries[0].event["data"]["id"] == payment["id"]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
    # Each wait is at least half of base · 2^(n-1), capped at the maximum (equal jitter).
    floors = [min(RETRY_BASE_SECONDS * 2**n, RETRY_MAX_SECONDS) / 2 for n in range(3)]
    assert all(gap >= floor - 0.02 for gap, floor in zip(gaps, floors, strict=True)), (gaps, floors)
    assert len(log) == 1
    assert [attempt["status_code"] for attempt in log[0]["attempts"]] == [500, 500, 500, 200]
    assert log[0]["state"] == "delivered"
    assert all(attempt["latency_ms"] >= 0 for attempt in log[0]["attempts"])
    assert shown["state"] == "enabled" and shown["failed_attempts"] == 0
    assert "secret" not in shown


def test_a_receiver_down_while_ten_payments_completed_receives_all_ten_in_order_once_back(
    webhook_gateway: Gateway,
) -> None:
    port = free_port()
    endpoint = register(webhook_gateway, f"http://127.0.0.1:{port}/hooks", ["stk.succeeded"])
    payments = {push(webhook_gateway)["id"] for _ in range(10)}
    feed = feed_until(webhook_gateway, succeeded(payments), endpoint["delivered_through"])
    with webhook_gateway.http() as client:
        failing = client.get(f"/api/v1/webhooks/{endpoint['id']}").json()

    with running_receiver(port=port) as receiver:
        delivered = receiver.wait_for(lambda got: {r.event["data"]["id"] for r in got} >= payments)

    expected = [e for e in feed if e["type"] == "stk.succeeded"]
    assert failing["failing_since"] is not None and failing["last_error"]
    assert [r.event["id"] for r in delivered] == [e["id"] for e in expected]
    assert [r.event["sequence"] for r in delivered] == sorted(r.event["sequence"] for r in delivered)
    assert len({r.event["id"] for r in delivered}) == len(delivered) == 10


def test_a_replay_resends_exactly_the_asked_range(webhook_gateway: Gateway) -> None:
    feed_until(webhook_gateway, succeeded({push(webhook_gateway)["id"]}))
    last = last_sequence(webhook_gateway)
    first, final = last - 7, last - 2
    with running_receiver() as receiver:
        endpoint = register(webhook_gateway, receiver.url)
        with webhook_gateway.http() as client:
            answer = client.post(
                f"/api/v1/webhooks/{endpoint['id']}/replay", json={"from_sequence": first, "to_sequence": final}
            )
        delivered = receiver.wait_for(lambda got: any(r.event["sequence"] == final for r in got))
        time.sleep(1.0)  # anything more the gateway would wrongly send arrives now
        replayed = [r.event["sequence"] for r in receiver.delivered() if r.event["sequence"] <= last]

    assert answer.status_code == 202, answer.text
    assert answer.json()["from_sequence"] == first and answer.json()["to_sequence"] == final
    assert replayed == list(range(first, final + 1))
    assert delivered[0].event == read_feed(webhook_gateway, first - 1, limit=1)[0][0]


def test_the_event_feed_read_after_a_gap_returns_exactly_the_missing_events(webhook_gateway: Gateway) -> None:
    seen = last_sequence(webhook_gateway)
    missed = {push(webhook_gateway)["id"] for _ in range(3)}
    feed_until(webhook_gateway, succeeded(missed), seen)

    caught_up, next_after = read_feed(webhook_gateway, seen, limit=2)
    everything, _ = read_feed(webhook_gateway)

    assert [e["sequence"] for e in caught_up] == list(range(seen + 1, next_after + 1))
    assert caught_up == [e for e in everything if e["sequence"] > seen]
    assert {e["data"]["id"] for e in caught_up} >= missed
    assert len({e["id"] for e in caught_up}) == len(caught_up)


def test_a_feed_position_beyond_what_the_store_can_number_is_a_validation_error(webhook_gateway: Gateway) -> None:
    with webhook_gateway.http() as client:
        largest = client.get("/api/v1/events", params={"after": 2**63 - 1})
        beyond = client.get("/api/v1/events", params={"after": 2**63})

    assert (largest.status_code, largest.json()["data"]) == (200, [])
    assert (beyond.status_code, beyond.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_a_reader_paging_while_payments_settle_sees_every_event_once_in_order(webhook_gateway: Gateway) -> None:
    start = last_sequence(webhook_gateway)
    paying = {push(webhook_gateway)["id"] for _ in range(8)}
    paged: list[dict[str, Any]] = []
    after = start
    deadline = time.monotonic() + WAIT
    while not succeeded(paying)(paged) and time.monotonic() < deadline:
        page, after = read_feed(webhook_gateway, after, limit=3)
        paged.extend(page)
        time.sleep(0.05)

    settled, _ = read_feed(webhook_gateway, start)
    assert succeeded(paying)(paged)
    assert [e["sequence"] for e in paged] == list(range(start + 1, start + len(paged) + 1))
    assert paged == settled[: len(paged)]


def test_a_forged_or_stale_signature_fails_the_snippets_check(webhook_gateway: Gateway, tmp_path: Path) -> None:
    with running_receiver() as receiver:
        endpoint = register(webhook_gateway, receiver.url, ["stk.succeeded"])
        push(webhook_gateway)
        real = receiver.wait_for(lambda got: len(got) == 1)[0]
    secret, header, body = endpoint["secret"], real.header("Mpesa-Signature"), real.body
    signed_at = int(header.split(",")[0].removeprefix("t="))
    cases = [
        SignatureCase(secret, header, body),
        SignatureCase(secret, header, body.replace(b'"amount":100', b'"amount":900')),
        SignatureCase("whsec_" + "0" * 48, header, body),
        SignatureCase(secret, header.replace(f"t={signed_at}", f"t={signed_at + 1}"), body),
        SignatureCase(secret, header, body, now=signed_at + 301),
        SignatureCase(secret, header, body, now=signed_at - 301),
        SignatureCase(secret, "v1=" + header.split("v1=")[1], body),
    ]

    expected = [True, False, False, False, False, False, False]
    assert python_results(cases) == expected
    assert node_results(cases, tmp_path) == expected


def configured(endpoints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a webhook request could change; delivery progress (attempts, errors) moves on its own meanwhile, as the
    deliverer keeps retrying the endpoints of earlier tests whose receivers are gone."""
    return [{key: e[key] for key in ("id", "url", "description", "event_types", "source")} for e in endpoints]


def test_webhook_requests_with_bad_input_are_refused_and_change_nothing(webhook_gateway: Gateway) -> None:
    with webhook_gateway.http() as client:
        before = configured(client.get("/api/v1/webhooks").json()["data"])
        bad_url = client.post("/api/v1/webhooks", json={"url": "ftp://example.com/hook"})
        bad_type = client.post("/api/v1/webhooks", json={"url": "https://example.com/h", "event_types": ["stk.paid"]})
        unknown_field = client.post("/api/v1/webhooks", json={"url": "https://example.com/h", "secret": "mine"})
        missing = client.get("/api/v1/webhooks/we_nope")
        replay_missing = client.post("/api/v1/webhooks/we_nope/replay", json={"from_sequence": 1, "to_sequence": 1})
        endpoint = client.post("/api/v1/webhooks", json={"url": "https://example.com/h"}).json()
        past_end = client.post(
            f"/api/v1/webhooks/{endpoint['id']}/replay", json={"from_sequence": 1, "to_sequence": 10**9}
        )
        bad_feed_type = client.get("/api/v1/events", params={"type": "stk.paid"})
        removed = client.delete(f"/api/v1/webhooks/{endpoint['id']}")
        removed_again = client.delete(f"/api/v1/webhooks/{endpoint['id']}")
        after = configured(client.get("/api/v1/webhooks").json()["data"])

    for refused in (bad_url, bad_type, unknown_field, past_end, bad_feed_type):
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    for absent in (missing, replay_missing, removed_again):
        assert absent.status_code == 404
        assert absent.json()["error"]["code"] == "WEBHOOK_NOT_FOUND"
    assert endpoint["secret"].startswith("whsec_") and endpoint["event_types"] == ["*"]
    assert removed.status_code == 204
    assert after == before


def test_an_endpoint_failing_for_the_whole_retry_period_is_disabled_reported_and_loses_nothing(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> None:
    secret = "whsec_configured_" + "7" * 24
    receiver = WebhookReceiver(answers=[503] * 1000)
    configured = f'[{{"url": "{receiver.url}", "secret": "{secret}", "event_types": ["stk.succeeded"]}}]'
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE="webhooks_disabling_e2e",
        DARAJA_BASE_URL=simulator.url,
        WEBHOOK_ENDPOINTS=configured,
        WEBHOOK_RETRY_HOURS=str(2 / 3600),
        WEBHOOK_RETRY_BASE_SECONDS="0.2",
        WEBHOOK_RETRY_MAX_SECONDS="0.5",
        WEBHOOK_POLL_SECONDS="0.1",
    )
    receiver.start()
    try:
        with gateway.http() as client:
            [endpoint] = client.get("/api/v1/webhooks").json()["data"]
            payment = push(gateway)
            disabled = _wait_until(lambda: client.get(f"/api/v1/webhooks/{endpoint['id']}").json(), _is_disabled)
            metrics = client.get("/metrics").text
            refused = len(receiver.received)
            time.sleep(0.5)
            refused_later = len(receiver.received)
            receiver.script()  # 200 from now on
            enabled = client.post(f"/api/v1/webhooks/{endpoint['id']}/enable")
            delivered = receiver.wait_for(lambda got: len(got) == 1)
        log = gateway.process.log_file.read_text()
    finally:
        receiver.stop()
        gateway.process.stop()

    assert endpoint["source"] == "configuration" and "secret" not in endpoint
    assert disabled["state"] == "disabled" and disabled["disabled_at"] and disabled["last_error"] == "HTTP 503"
    assert 'mpesa_gateway_webhook_endpoints{state="disabled"} 1.0' in metrics
    assert refused >= 2 and refused_later == refused
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert {"event": "webhook_endpoint_disabled", "level": "error"}.items() <= next(
        line for line in lines if line.get("event") == "webhook_endpoint_disabled"
    ).items()
    assert enabled.status_code == 200 and enabled.json()["state"] == "enabled"
    assert delivered[0].event["data"]["id"] == payment["id"]
    assert python_results(signature_cases(secret, delivered)) == [True]


def _is_disabled(endpoint: dict[str, Any]) -> bool:
    return endpoint["state"] == "disabled"


def _wait_until(read: Callable[[], dict[str, Any]], condition: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = read()
        if condition(value):
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_two_instances_deliver_every_event_once_in_order(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> None:
    shared = {
        "MONGODB_URL": store.url,
        "MONGODB_DATABASE": "webhooks_two_instances_e2e",
        "DARAJA_BASE_URL": simulator.url,
        "WEBHOOK_POLL_SECONDS": "0.05",
    }
    gateways = [start_gateway(workdir, *tls_files, **shared) for _ in range(2)]
    try:
        with running_receiver() as receiver:
            register(gateways[0], receiver.url, ["stk.*"])
            payments = {push(gateways[number % 2])["id"] for number in range(10)}
            delivered = receiver.wait_for(succeeded_deliveries(payments))
            time.sleep(1.0)  # a duplicate either instance would wrongly send arrives now
            delivered = receiver.delivered()
    finally:
        for gateway in gateways:
            gateway.process.stop()

    sequences = [request.event["sequence"] for request in delivered]
    assert len(sequences) == len(set(sequences)) == 30
    assert sequences == sorted(sequences)


def succeeded_deliveries(record_ids: set[str]) -> Callable[[list[Received]], bool]:
    def check(delivered: list[Received]) -> bool:
        return succeeded(record_ids)([request.event for request in delivered])

    return check


def test_a_standalone_worker_relays_and_delivers_for_gateways_running_none(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> None:
    database = "webhooks_worker_e2e"
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=database,
        DARAJA_BASE_URL=simulator.url,
        WORKER_ENABLED="false",
    )
    environment = {
        **os.environ,
        "MONGODB_URL": store.url,
        "MONGODB_DATABASE": database,
        "DARAJA_BASE_URL": simulator.url,
        "WEBHOOK_POLL_SECONDS": "0.1",
        "IDLE_POLL_MAX_SECONDS": "1",
    }
    try:
        with running_receiver() as receiver:
            register(gateway, receiver.url, ["stk.succeeded"])
            payment = push(gateway)
            time.sleep(1.5)  # the callback has settled it by now; nothing in the gateway relays or delivers
            feed_without_worker, _ = read_feed(gateway)
            with (workdir / "webhook-worker.log").open("wb") as log:
                worker = subprocess.Popen(cli("worker"), env=environment, stdout=log, stderr=subprocess.STDOUT)
                try:
                    delivered = receiver.wait_for(lambda got: len(got) == 1)
                finally:
                    worker.send_signal(signal.SIGTERM)
                    worker.wait(timeout=20)
    finally:
        gateway.process.stop()

    assert feed_without_worker == []
    assert delivered[0].event["type"] == "stk.succeeded" and delivered[0].event["data"]["id"] == payment["id"]
    assert worker.returncode == 0
