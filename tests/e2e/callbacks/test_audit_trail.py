"""The audit trail: every callback to a URL that names a record is journaled as received, anything else only as a
digest (its SHA-256 and size); bodies over 64 KiB are refused unread; forged, late and disagreeing callbacks are kept
as anomalies an operator lists, behind the operator's bearer token.

The gateway here runs with OPERATOR_TOKEN and a database of its own, so the session's gateway stays as it is.
"""

import asyncio
import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bson
import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import SocketClient

OPERATOR_TOKEN = "operator-" + "7f3a9c" * 6
AUDIT_DATABASE = "e2e_audit"
CALLBACK_DUPLICATED = 9200  # the simulator's scenario: the identical success callback, sent twice
CANCELLED_BY_USER = 1032
CALLBACK_LOST = 9100
WAIT_SECONDS = 10.0

Collection = pymongo.collection.Collection  # type: ignore[type-arg]


@pytest.fixture(scope="module")
def audited_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=AUDIT_DATABASE,
        DARAJA_BASE_URL=simulator.url,
        OPERATOR_TOKEN=OPERATOR_TOKEN,
    )
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def audit_store(store: EmbeddedMongo) -> Iterator[pymongo.database.Database]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[AUDIT_DATABASE]
    client.close()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def as_operator() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


async def journaled(journal: Collection, token: str, count: int) -> list[dict[str, Any]]:
    """The journal entries of the URL with this token, once there are `count` of them (bounded wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        entries = list(journal.find({"path_token_hash": digest(token)}).sort("received_at", pymongo.ASCENDING))
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        await asyncio.sleep(0.1)


async def callback_log_lines(gateway: Gateway, journal_ids: set[str]) -> list[dict[str, Any]]:
    """The gateway's `stk_callback` log lines naming these journal ids, once there is one for each (bounded wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = []
        for line in gateway.process.log_file.read_text(errors="replace").splitlines():
            try:
                logged = json.loads(line)
            except ValueError:
                continue
            if isinstance(logged, dict) and logged.get("event") == "stk_callback":
                found += [logged] if logged.get("journal_id") in journal_ids else []
        if len(found) >= len(journal_ids) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def push(gateway: Gateway, amount: int, hash_: str) -> tuple[SocketClient, dict[str, Any]]:
    client = await SocketClient.connect(f"{gateway.wss}/mpesa/stk/{hash_}", gateway.tls)
    ack = await client.request(
        {"kind": "push", "payload": {"phone": fresh_phone(), "amount": amount, "description": "Audit"}}
    )
    return client, ack["data"]


def anomalies(gateway: Gateway, **query: str) -> list[dict[str, Any]]:
    with gateway.http() as http:
        response = http.get("/api/v1/operator/anomalies", params=query, headers=as_operator())
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["data"]["anomalies"]
    return listed


def stk_success_body(checkout: str, merchant_request: str, amount: int, phone: str) -> dict[str, Any]:
    items = [
        {"Name": "Amount", "Value": float(amount)},
        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
        {"Name": "TransactionDate", "Value": 20250314120215},
        {"Name": "PhoneNumber", "Value": int(phone)},
    ]
    callback = {
        "MerchantRequestID": merchant_request,
        "CheckoutRequestID": checkout,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "CallbackMetadata": {"Item": items},
    }
    return {"Body": {"stkCallback": callback}}


def callback_trail(gateway: Gateway, record_id: str) -> list[dict[str, Any]]:
    with gateway.http() as http:
        response = http.get(f"/api/v1/operator/callbacks/{record_id}", headers=as_operator())
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["data"]["callbacks"]
    return listed


async def trail_of(gateway: Gateway, record_id: str, count: int) -> list[dict[str, Any]]:
    """The record's callback trail, once it lists `count` callbacks (bounded wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        trail = callback_trail(gateway, record_id)
        if len(trail) >= count or time.monotonic() > deadline:
            return trail
        await asyncio.sleep(0.1)


async def test_every_callback_the_simulator_sends_is_kept_raw_the_applied_one_in_the_payment(
    audited_gateway: Gateway,
    audit_store: pymongo.database.Database,  # type: ignore[type-arg]
) -> None:
    client, payment = await push(audited_gateway, CALLBACK_DUPLICATED, "audit-journal")
    async with client:
        final = await client.final_update(payment["checkout"])
    stored = audit_store["stk_payments"].find_one({"payment_id": payment["id"]})
    token = stored["callback_token"]

    trail = await trail_of(audited_gateway, payment["id"], count=2)
    entries = await journaled(audit_store["callback_journal"], token, count=1)

    assert final["data"]["status"] == "success"
    # The first applied, and is kept in the payment by the write that applied it; the repeat is in the journal.
    assert [entry["kept_in"] for entry in trail] == ["record", "journal"]
    assert trail[0]["received_at"] <= trail[1]["received_at"]
    for entry in trail:
        assert (entry["kind"], entry["source"]) == ("stk", "127.0.0.1")
        assert json.loads(entry["body"])["Body"]["stkCallback"]["CheckoutRequestID"] == payment["checkout"]
        assert ["content-type", "application/json"] in entry["headers"]
        assert token not in str(entry)
    assert trail[0]["body"] == trail[1]["body"]
    assert [str(entry["_id"]) for entry in entries] == [trail[1]["journal_id"]]
    assert str(stored["applied_callback"]["journal_id"]) == trail[0]["journal_id"]
    assert base64.b64decode(stored["applied_callback"]["body_base64"]) == entries[0]["body"]
    # The repeat agreed with the stored outcome: acknowledged, and no anomaly.
    assert [a for a in anomalies(audited_gateway) if a["payment_id"] == payment["id"]] == []
    logged = await callback_log_lines(audited_gateway, {entry["journal_id"] for entry in trail})
    assert sorted(line["outcome"] for line in logged) == ["applied", "duplicate"]


async def test_a_withdrawal_s_trail_shows_its_applied_result_and_every_later_callback_in_arrival_order(
    audited_gateway: Gateway,
    audit_store: pymongo.database.Database,  # type: ignore[type-arg]
) -> None:
    async with await SocketClient.connect(f"{audited_gateway.wss}/mpesa/b2c/audit-b2c", audited_gateway.tls) as client:
        ack = await client.request(
            {"kind": "withdraw", "payload": {"phone": fresh_phone(), "amount": 500, "description": "Audit"}}
        )
        withdrawal_id = ack["data"]["id"]
        await client.update_where(lambda d: d["id"] == withdrawal_id and d["status"] == "success")
    stored = audit_store["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal_id})
    applied = await trail_of(audited_gateway, withdrawal_id, count=1)
    assert len(applied) == 1
    repeat = json.loads(applied[0]["body"])
    with audited_gateway.http() as http:
        again = http.post(f"/api/v1/hooks/b2c/result/{stored['callback_token']}", json=repeat)
        late_timeout = http.post(f"/api/v1/hooks/b2c/timeout/{stored['callback_token']}", json=repeat)
        unreadable = http.post(f"/api/v1/hooks/b2c/result/{stored['callback_token']}", content=b'{"Result": {}}')

    trail = await trail_of(audited_gateway, withdrawal_id, count=4)

    assert (again.status_code, late_timeout.status_code, unreadable.status_code) == (200, 200, 400)
    assert stored["status"] == "success"
    assert [(entry["kind"], entry["kept_in"]) for entry in trail] == [
        ("b2c_result", "record"),
        ("b2c_result", "journal"),
        ("b2c_timeout", "journal"),
        ("b2c_result", "journal"),
    ]
    assert trail[0]["journal_id"] == str(stored["applied_callback"]["journal_id"])
    assert [entry["body"] for entry in trail[1:]] == [applied[0]["body"], applied[0]["body"], '{"Result": {}}']
    assert all(entry["digest_reason"] is None for entry in trail)


def test_the_trail_of_a_record_that_does_not_exist_is_not_found(audited_gateway: Gateway) -> None:
    with audited_gateway.http() as http:
        response = http.get("/api/v1/operator/callbacks/no-such-record", headers=as_operator())

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_a_forged_callback_to_a_guessed_url_is_refused_kept_as_a_digest_and_listed_as_an_anomaly(
    audited_gateway: Gateway,
    audit_store: pymongo.database.Database,  # type: ignore[type-arg]
) -> None:
    guessed = secrets.token_urlsafe(32)
    forged = json.dumps(stk_success_body("ws_CO_forged", "29115-forged-1", 100, "254712345678")).encode()
    malformed = b'{"Body": {}} \xff'

    with audited_gateway.http() as http:
        refused = http.post(f"/api/v1/hooks/stk/{guessed}", content=forged, headers={"Authorization": "Basic x"})
        unreadable = http.post(f"/api/v1/mpesa/stk/callback/{guessed}", content=malformed)
    entries = await journaled(audit_store["callback_journal"], guessed, count=2)
    [anomaly] = [a for a in anomalies(audited_gateway, kind="rejected") if a["checkout"] == "ws_CO_forged"]

    assert (refused.status_code, unreadable.status_code) == (403, 400)
    assert [(entry["body_sha256"], entry["body_size"]) for entry in entries] == [
        (hashlib.sha256(body).hexdigest(), len(body)) for body in (forged, malformed)
    ]
    assert [entry["digest_reason"] for entry in entries] == ["unknown_token", "unknown_token"]
    assert all("body" not in entry and "headers" not in entry for entry in entries)
    assert (anomaly["kind"], anomaly["callback"], anomaly["payment_id"]) == ("rejected", "stk", None)
    assert anomaly["journal_id"] == str(entries[0]["_id"])
    assert anomaly["reason"] == "no payment has this callback URL"


async def test_a_large_body_to_a_guessed_url_leaves_only_a_digest_of_a_few_hundred_bytes(
    audited_gateway: Gateway,
    audit_store: pymongo.database.Database,  # type: ignore[type-arg]
) -> None:
    guessed = secrets.token_urlsafe(32)
    large = json.dumps({"Body": {"stkCallback": {"padding": "x" * (60 * 1024)}}}).encode()

    with audited_gateway.http() as http:
        refused = http.post(f"/api/v1/hooks/b2c/result/{guessed}", content=large)
    [entry] = await journaled(audit_store["callback_journal"], guessed, count=1)

    assert refused.status_code == 400  # no B2C Result at all: malformed, and to no withdrawal
    assert (entry["kind"], entry["body_size"], entry["digest_reason"]) == ("b2c_result", len(large), "unknown_token")
    assert len(bson.encode(entry)) < 400


@pytest.mark.parametrize("chunked", [False, True], ids=["announced", "chunked"])
async def test_a_mebibyte_to_a_guessed_url_is_refused_unread_and_stores_nothing(
    audited_gateway: Gateway,
    audit_store: pymongo.database.Database,  # type: ignore[type-arg]
    chunked: bool,
) -> None:
    guessed = secrets.token_urlsafe(32)
    mebibyte = b'{"Body": "' + b"x" * (1024 * 1024) + b'"}'

    answer = await post_large(audited_gateway, f"/api/v1/hooks/stk/{guessed}", mebibyte, chunked)
    await asyncio.sleep(0.5)  # anything the gateway was going to store, it has by now

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert audit_store["callback_journal"].count_documents({"path_token_hash": digest(guessed)}) == 0


async def test_an_oversize_body_to_a_real_url_is_refused_and_applies_nothing(
    audited_gateway: Gateway,
    audit_store: pymongo.database.Database,  # type: ignore[type-arg]
) -> None:
    client, payment = await push(audited_gateway, CALLBACK_LOST, "audit-oversize")
    await client.close()
    stored = audit_store["stk_payments"].find_one({"payment_id": payment["id"]})
    success = stk_success_body(payment["checkout"], payment["merchant_request"], CALLBACK_LOST, stored["phone"])
    success["padding"] = "x" * (64 * 1024)  # a genuine result, made too large to be read

    answer = await post_large(
        audited_gateway, f"/api/v1/hooks/stk/{stored['callback_token']}", json.dumps(success).encode(), chunked=True
    )
    await asyncio.sleep(0.5)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert audit_store["stk_payments"].find_one({"payment_id": payment["id"]})["status"] == "pending"
    assert audit_store["callback_journal"].count_documents({"path_token_hash": digest(stored["callback_token"])}) == 0


async def post_large(gateway: Gateway, path: str, body: bytes, chunked: bool) -> bytes:
    """POST over a raw TLS connection (announced or chunked) and answer the status line and headers that came back.

    Raw, because the gateway answers 413 before reading the body and closes: a client still sending may see a reset.
    """
    host, port = gateway.https.removeprefix("https://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port), ssl=gateway.tls)
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body)
    writer.write(
        b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s\r\n\r\n"
        % (path.encode(), host.encode(), framing)
    )
    try:
        for start in range(0, len(body), 16 * 1024):
            piece = body[start : start + 16 * 1024]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
        writer.write(b"0\r\n\r\n" if chunked else b"")
        await writer.drain()
    except ConnectionError:
        pass  # refused before the whole body was sent: the answer is already there to read
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_SECONDS)
    finally:
        writer.close()


async def test_a_success_after_the_payment_was_cancelled_changes_nothing_and_is_a_late_success(
    audited_gateway: Gateway,
    audit_store: pymongo.database.Database,  # type: ignore[type-arg]
) -> None:
    client, payment = await push(audited_gateway, CANCELLED_BY_USER, "audit-late")
    async with client:
        await client.final_update(payment["checkout"])
    stored = audit_store["stk_payments"].find_one({"payment_id": payment["id"]})
    late = stk_success_body(payment["checkout"], payment["merchant_request"], CANCELLED_BY_USER, stored["phone"])

    with audited_gateway.http() as http:
        acknowledged = http.post(f"/api/v1/hooks/stk/{stored['callback_token']}", json=late)
    [anomaly] = [a for a in anomalies(audited_gateway, kind="late_success") if a["payment_id"] == payment["id"]]

    assert acknowledged.status_code == 200
    assert audit_store["stk_payments"].find_one({"payment_id": payment["id"]})["status"] == "cancelled"
    assert (anomaly["severity"], anomaly["stored_status"], anomaly["stored_result_code"]) == (
        "critical",
        "cancelled",
        "1032",
    )
    assert anomaly["result_code"] == "0"


async def test_a_payment_without_a_callback_is_listed_as_stuck(audited_gateway: Gateway) -> None:
    client, payment = await push(audited_gateway, CALLBACK_LOST, "audit-stuck")
    await client.close()
    await asyncio.sleep(1.1)  # the store compares dates to the whole second

    with audited_gateway.http() as http:
        response = http.get(
            "/api/v1/operator/stuck", params={"older_than_seconds": 0, "limit": 500}, headers=as_operator()
        )
    records = {record["id"]: record for record in response.json()["data"]["records"]}

    assert response.status_code == 200
    assert payment["id"] in records
    record = records[payment["id"]]
    assert (record["kind"], record["status"], record["checkout"]) == ("stk", "pending", payment["checkout"])
    assert record["phone"] == payment["phone"][:4] + "****" + payment["phone"][-4:]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {OPERATOR_TOKEN}"])
def test_the_operator_routes_refuse_a_wrong_or_missing_token(
    audited_gateway: Gateway, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    with audited_gateway.http() as http:
        paths = ("/api/v1/operator/anomalies", "/api/v1/operator/stuck", "/api/v1/operator/callbacks/some-record")
        replies = [http.get(path, headers=headers) for path in paths]

    assert [reply.status_code for reply in replies] == [401, 401, 401]
    assert {reply.json()["error"]["code"] for reply in replies} == {"UNAUTHORIZED"}
    assert {reply.headers["www-authenticate"] for reply in replies} == {"Bearer"}


def test_the_operator_routes_are_absent_without_an_operator_token(gateway: Gateway) -> None:
    with gateway.http() as http:
        replies = [
            http.get(path, headers=as_operator()) for path in ("/api/v1/operator/anomalies", "/api/v1/operator/stuck")
        ]

    assert [reply.status_code for reply in replies] == [404, 404]
    assert {reply.json()["error"]["code"] for reply in replies} == {"NOT_FOUND"}
