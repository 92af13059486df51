"""Bad input gets its error code and changes nothing: no record, no Daraja call, no crash."""

import asyncio
import contextlib
import json
from collections.abc import Iterator

import pymongo
import pytest
import websockets

from tests.support.processes import Gateway, Simulator
from tests.support.socket_client import WAIT_SECONDS, SocketClient

HASH = "bad-input"


def push(**payload: object) -> str:
    base: dict[str, object] = {"phone": "254700000001", "amount": 100, "description": "Bad input"}
    return json.dumps({"kind": "push", "payload": {**base, **payload}})


BAD_FRAMES = [
    pytest.param("{not json", "INVALID_JSON", "error", id="invalid-json"),
    pytest.param("[1, 2, 3]", "INVALID_JSON", "error", id="json-array"),
    pytest.param('"push"', "INVALID_JSON", "error", id="json-string"),
    pytest.param('{"kind":"refund","payload":{}}', "UNKNOWN_KIND", "error", id="unknown-kind"),
    pytest.param('{"payload":{"phone":"254700000001"}}', "UNKNOWN_KIND", "error", id="missing-kind"),
    pytest.param('{"kind":"push"}', "VALIDATION_ERROR", "push", id="missing-payload"),
    pytest.param('{"kind":"push","payload":[]}', "VALIDATION_ERROR", "push", id="payload-not-object"),
    pytest.param(
        '{"kind":"push","payload":{"phone":"254700000001","amount":100,"description":"x"},"extra":1}',
        "VALIDATION_ERROR",
        "push",
        id="extra-envelope-field",
    ),
    pytest.param(push(pin="1234"), "VALIDATION_ERROR", "push", id="extra-payload-field"),
    pytest.param(push(phone="0712"), "VALIDATION_ERROR", "push", id="phone-0712"),
    pytest.param(push(phone="254812345678"), "VALIDATION_ERROR", "push", id="phone-254812345678"),
    pytest.param(push(phone=True), "VALIDATION_ERROR", "push", id="phone-bool"),
    pytest.param(push(amount=0), "VALIDATION_ERROR", "push", id="amount-0"),
    pytest.param(push(amount=-5), "VALIDATION_ERROR", "push", id="amount-negative"),
    pytest.param(push(amount=1.5), "VALIDATION_ERROR", "push", id="amount-fraction"),
    pytest.param(push(amount="100"), "VALIDATION_ERROR", "push", id="amount-string"),
    pytest.param(push(amount=True), "VALIDATION_ERROR", "push", id="amount-bool"),
    pytest.param(push(amount=250_001), "VALIDATION_ERROR", "push", id="amount-above-maximum"),
    pytest.param(push(description="x" * 2000), "VALIDATION_ERROR", "push", id="description-2000-chars"),
    pytest.param(push(description="   "), "VALIDATION_ERROR", "push", id="description-blank"),
    pytest.param(
        '{"kind":"push","payload":{"amount":100,"description":"x"}}', "VALIDATION_ERROR", "push", id="phone-missing"
    ),
    pytest.param('{"kind":"status","payload":{}}', "VALIDATION_ERROR", "status", id="status-without-checkout"),
    pytest.param(
        '{"kind":"status","payload":{"checkout":5}}', "VALIDATION_ERROR", "status", id="status-checkout-number"
    ),
    pytest.param('{"kind":"push","payload":{},"ref":7}', "VALIDATION_ERROR", "push", id="ref-not-string"),
]


@pytest.fixture
def nothing_changes(simulator: Simulator, payments: pymongo.collection.Collection) -> Iterator[None]:  # type: ignore[type-arg]
    records, daraja_calls = payments.count_documents({}), simulator.stk_push_count()

    yield

    assert payments.count_documents({}) == records, "bad input created a payment record"
    assert simulator.stk_push_count() == daraja_calls, "bad input reached Daraja"


@pytest.mark.parametrize(("frame", "code", "kind"), BAD_FRAMES)
async def test_bad_frame_gets_its_error_code_and_changes_nothing(
    gateway: Gateway, nothing_changes: None, frame: str, code: str, kind: str
) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/{HASH}", gateway.tls) as client:
        reply = await client.send_text(frame)
        still_serving = await client.request({"kind": "status", "payload": {"checkout": "ws_CO_unknown"}})

    assert reply["ok"] is False
    assert reply["kind"] == kind
    assert reply["error"]["code"] == code
    assert reply["error"]["message"]
    assert isinstance(reply["error"]["details"], list)
    assert still_serving["error"]["code"] == "NOT_FOUND"


async def test_status_for_an_unknown_checkout_is_not_found(gateway: Gateway, nothing_changes: None) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/{HASH}", gateway.tls) as client:
        reply = await client.request({"kind": "status", "payload": {"checkout": "ws_CO_21072024125243250722943992"}})

    assert reply == {
        "kind": "status",
        "ok": False,
        "ref": None,
        "error": {"code": "NOT_FOUND", "message": reply["error"]["message"], "details": []},
    }


async def test_a_frame_over_16_mib_closes_the_socket_with_1009(gateway: Gateway, nothing_changes: None) -> None:
    oversized = push(description="x" * (17 * 1024 * 1024))

    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/{HASH}", gateway.tls) as client:
        with contextlib.suppress(websockets.ConnectionClosed):
            await client.connection.send(oversized)
        await asyncio.wait_for(client.connection.wait_closed(), WAIT_SECONDS)

    assert client.connection.close_code == 1009


async def test_a_binary_frame_closes_the_socket_with_1003(gateway: Gateway, nothing_changes: None) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/{HASH}", gateway.tls) as client:
        await client.connection.send(push().encode())
        await asyncio.wait_for(client.connection.wait_closed(), WAIT_SECONDS)

    assert client.connection.close_code == 1003


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "0712", "amount": 100, "description": "x", "hash": "h"}, "phone"),
        ({"phone": "254712345678", "amount": "100", "description": "x", "hash": "h"}, "amount"),
        ({"phone": "254712345678", "amount": 100, "description": "x"}, "hash"),
        ({"phone": "254712345678", "amount": 100, "description": "x", "hash": "h", "extra": 1}, "extra"),
    ],
)
def test_http_push_refuses_bad_bodies_and_changes_nothing(
    gateway: Gateway, nothing_changes: None, body: dict[str, object], field: str
) -> None:
    with gateway.http() as http:
        response = http.post("/api/v1/mpesa/stk/push", json=body)

    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in json.dumps(response.json()["error"])


def test_http_push_with_invalid_json_is_invalid_json(gateway: Gateway, nothing_changes: None) -> None:
    with gateway.http() as http:
        response = http.post("/api/v1/mpesa/stk/push", content=b"{nope", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_JSON"
