"""What an operator sees: Prometheus metrics at /metrics, /ready naming each dependency, and JSON log lines that
tie one push together."""

import asyncio
import json
import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator
from tests.support.socket_client import SocketClient

HASH = "observed"


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _settled_push(gateway: Gateway, url_hash: str = HASH) -> dict[str, object]:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/{url_hash}", gateway.tls) as client:
        ack = await client.request(
            {"kind": "push", "payload": {"phone": fresh_phone(), "amount": 10, "description": "Observed"}}
        )
        assert ack["ok"] is True, ack
        final = await client.final_update(ack["data"]["checkout"])
        invalid = await client.request({"kind": "push", "payload": {"amount": "10"}})
        assert invalid["error"]["code"] == "VALIDATION_ERROR"
        async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
            during = (await http.get("/metrics")).text
    return {"final": final, "during": during}


async def test_metrics_count_sockets_messages_daraja_calls_callbacks_and_states(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        before = _samples((await http.get("/metrics")).text)
        pushed = await _settled_push(gateway)
        await asyncio.sleep(0.2)  # the socket's close is counted once the server sees it
        response = await http.get("/metrics")
    after = _samples(response.text)
    during = _samples(str(pushed["during"]))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert _value(during, "mpesa_gateway_open_sockets", endpoint="stk") >= 1
    assert _value(after, "mpesa_gateway_open_sockets", endpoint="stk") == _value(
        before, "mpesa_gateway_open_sockets", endpoint="stk"
    )

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("mpesa_gateway_messages_total", kind="push", outcome="ok") == 1
    assert grew("mpesa_gateway_messages_total", kind="push", outcome="VALIDATION_ERROR") == 1
    assert (
        grew("mpesa_gateway_daraja_calls_total", path="/mpesa/stkpush/v1/processrequest", outcome="answered_2xx") >= 1
    )
    assert grew("mpesa_gateway_daraja_call_duration_seconds_count", path="/mpesa/stkpush/v1/processrequest") >= 1
    assert grew("mpesa_gateway_callbacks_total", kind="stk", result="accepted") >= 1
    assert _value(after, "mpesa_gateway_payments", state="success") >= 1
    assert ("mpesa_gateway_withdrawals", frozenset({("state", "queued")})) in after
    assert ("mpesa_gateway_last_run_timestamp_seconds", frozenset({("loop", "reconciler")})) in after
    assert ("mpesa_gateway_last_run_timestamp_seconds", frozenset({("loop", "worker")})) in after


async def test_a_rejected_callback_is_counted(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        before = _samples((await http.get("/metrics")).text)
        body = {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": "m",
                    "CheckoutRequestID": "c",
                    "ResultCode": 1032,
                    "ResultDesc": "Request cancelled by user",
                }
            }
        }
        refused = await http.post("/api/v1/hooks/stk/not-a-token", json=body)
        after = _samples((await http.get("/metrics")).text)

    assert refused.status_code == 403
    key = ("mpesa_gateway_callbacks_total", frozenset({("kind", "stk"), ("result", "rejected")}))
    assert after[key] - before.get(key, 0.0) == 1


async def test_metrics_show_no_hash_phone_or_token(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        text = (await http.get("/metrics")).text

    assert HASH not in text
    # A phone is 12 digits from 2547 or 2541; float timestamps (1.79584807254e+09) carry "2547" by chance.
    assert re.search(r"(?<![\d.])254[17]\d{8}(?!\d)", text) is None
    assert "hooks/stk/" not in text


async def test_ready_checks_the_store_and_daraja(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        ready = await http.get("/ready")

    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"store": "up", "daraja": "up"}}


async def test_ready_answers_from_a_cache_so_probes_do_not_flood_daraja(gateway: Gateway, simulator: Simulator) -> None:
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        await http.get("/ready")
        tokens = simulator.stats().get("oauth_tokens_issued")
        for _ in range(5):
            assert (await http.get("/ready")).status_code == 200

    assert simulator.stats()["oauth_tokens_issued"] == tokens


async def test_every_log_line_is_json_and_a_push_shares_its_payment_id(gateway: Gateway) -> None:
    pushed = await _settled_push(gateway, "logged")
    payment_id = pushed["final"]["data"]["id"]  # type: ignore[index]
    await asyncio.sleep(0.3)  # the callback's own line is written after its answer

    lines = gateway.process.log_file.read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]

    for record in records:
        assert {"timestamp", "level", "event"} <= set(record), record
    events = {record["event"] for record in records if record.get("payment_id") == payment_id}
    assert {"ws_message", "daraja_call", "stk_push", "stk_callback_applied"} <= events, events


async def test_an_http_push_binds_one_request_id_across_its_lines(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        response = await http.post(
            "/api/v1/mpesa/stk/push",
            json={"phone": fresh_phone(), "amount": 10, "description": "Over HTTP", "hash": "http-logged"},
        )
    request_id = response.headers["x-request-id"]
    payment_id = response.json()["data"]["id"]

    records = [json.loads(line) for line in gateway.process.log_file.read_text().splitlines() if line.strip()]
    events = {record["event"] for record in records if record.get("request_id") == request_id}

    assert response.status_code == 201
    assert {"daraja_call", "stk_push"} <= events, events
    assert all(
        record.get("payment_id") == payment_id
        for record in records
        if record.get("request_id") == request_id and record["event"] == "stk_push"
    )


@pytest.mark.parametrize("path", ["/metrics", "/ready"])
async def test_operations_endpoints_are_not_in_the_way_of_health(gateway: Gateway, path: str) -> None:
    async with httpx.AsyncClient(base_url=gateway.https, verify=gateway.tls, timeout=10) as http:
        assert (await http.get(path)).status_code == 200
