"""The server API of a real gateway that requires API keys: HTTP push and withdraw, the read API, and the
`apikey` command that issues and revokes the keys; the merchant's reference and metadata on every path."""

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, cli, start_gateway
from tests.support.socket_client import SocketClient

Collection = pymongo.collection.Collection  # type: ignore[type-arg]
CACHE_SECONDS = 1
# Its own database: a gateway's B2C worker on a shared one could claim this module's withdrawals and take their
# results (and updates) to its own clients, as a second instance without Redis would.
DATABASE = "e2e_server_api"
METADATA = {"order_id": 1042, "customer": "c-77", "gift": False, "discount": 0.5, "note": None}


@pytest.fixture(scope="module")
def records(store: EmbeddedMongo) -> Iterator[pymongo.database.Database]:  # type: ignore[type-arg]
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]
    client.close()


@pytest.fixture
def payments(records: pymongo.database.Database) -> Collection:  # type: ignore[type-arg]
    return records["stk_payments"]


@pytest.fixture
def withdrawals(records: pymongo.database.Database) -> Collection:  # type: ignore[type-arg]
    return records["b2c_withdrawals"]


@pytest.fixture(scope="module")
def keyed_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        API_KEYS_OPTIONAL="false",
        API_KEY_CACHE_SECONDS=str(CACHE_SECONDS),
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
    )
    yield gateway
    gateway.process.stop()


def apikey(store: EmbeddedMongo, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MONGODB_URL": store.url, "MONGODB_DATABASE": DATABASE, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        cli("apikey", *arguments), env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def new_key(store: EmbeddedMongo, name: str) -> str:
    created = apikey(store, "create", "--name", name)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def key_id(key: str) -> str:
    return key.split("_")[1]


@pytest.fixture(scope="module")
def api_key(store: EmbeddedMongo) -> str:
    return new_key(store, "e2e backend")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def push_body(hash_: str, **extra: Any) -> dict[str, Any]:
    return {"phone": fresh_phone(), "amount": 100, "description": "Order", "hash": hash_, **extra}


def withdraw_body(hash_: str, **extra: Any) -> dict[str, Any]:
    return {"phone": fresh_phone(), "amount": 500, "description": "Refund", "hash": hash_, **extra}


def per_phone(simulator: Simulator, phone: str) -> int:
    return simulator.stats()["stk_push_requests"]["per_phone"].get(phone, 0)  # type: ignore[index,no-any-return]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer mgw_0000000000000000_" + "0" * 64},
        {"Authorization": "Bearer not-a-key"},
    ],
)
def test_http_push_and_withdraw_without_a_good_key_are_refused_and_change_nothing(
    keyed_gateway: Gateway,
    simulator: Simulator,
    payments: Collection,
    withdrawals: Collection,
    headers: dict[str, str],
) -> None:
    push, withdraw = push_body("no-key"), withdraw_body("no-key")

    with keyed_gateway.http() as client:
        pushed = client.post("/api/v1/mpesa/stk/push", json=push, headers=headers)
        withdrawn = client.post("/api/v1/mpesa/b2c/withdraw", json=withdraw, headers=headers)
        read = client.get("/api/v1/payments", headers=headers)

    for answer in (pushed, withdrawn, read):
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "UNAUTHORIZED")
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert payments.count_documents({"phone": push["phone"]}) == 0
    assert withdrawals.count_documents({"phone": withdraw["phone"]}) == 0
    assert per_phone(simulator, push["phone"]) == 0


def test_the_event_feed_and_webhook_management_refuse_requests_without_a_good_key(
    keyed_gateway: Gateway, payments: Collection
) -> None:
    endpoints = payments.database["webhook_endpoints"]
    url = f"http://127.0.0.1:9/{uuid.uuid4().hex}"
    unknown = {"Authorization": "Bearer mgw_0000000000000000_" + "0" * 64}

    with keyed_gateway.http() as client:
        answers = (
            [client.get("/api/v1/events", headers=headers) for headers in ({}, unknown)]
            + [client.post("/api/v1/webhooks", json={"url": url}, headers=headers) for headers in ({}, unknown)]
            + [client.get("/api/v1/webhooks"), client.post("/api/v1/webhooks/any/replay", json={})]
        )

    for answer in answers:
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    assert endpoints.count_documents({"url": url}) == 0


def test_the_c2b_api_refuses_requests_without_a_good_key(keyed_gateway: Gateway, payments: Collection) -> None:
    requests = payments.database["c2b_requests"]
    reference = f"KEY-{uuid.uuid4().hex[:8]}".upper()
    body = {"hash": "h", "account_reference": reference, "amount_rule": "open", "expires_at": "2099-01-01T00:00:00Z"}
    unknown = {"Authorization": "Bearer mgw_0000000000000000_" + "0" * 64}

    with keyed_gateway.http() as client:
        answers = [client.post("/api/v1/mpesa/c2b/requests", json=body, headers=headers) for headers in ({}, unknown)]
        answers.append(client.get("/api/v1/mpesa/c2b/payments/TLK4C2B0001"))

    for answer in answers:
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    assert requests.count_documents({"reference": reference}) == 0


def test_a_refused_key_is_logged_by_its_id_never_whole(keyed_gateway: Gateway) -> None:
    unknown = "mgw_00000000deadbeef_" + "ab" * 32

    with keyed_gateway.http() as client:
        client.post("/api/v1/mpesa/stk/push", json=push_body("logged"), headers=bearer(unknown))

    log = keyed_gateway.process.log_file.read_text()
    assert "00000000deadbeef" in log and "ab" * 32 not in log


def test_the_apikey_command_creates_lists_and_revokes(store: EmbeddedMongo) -> None:
    name = f"rotation test {uuid.uuid4().hex[:6]}"
    key = new_key(store, name)

    listed = apikey(store, "list")
    revoked = apikey(store, "revoke", key_id(key))
    listed_after = apikey(store, "list")
    unknown = apikey(store, "revoke", "00000000000000ff")

    assert key.startswith("mgw_") and len(key.split("_")[2]) == 64
    row = next(line for line in listed.stdout.splitlines() if line.startswith(key_id(key)))
    assert name in row and row.endswith("\t-")
    assert key.split("_")[2] not in listed.stdout
    assert revoked.returncode == 0 and key_id(key) in revoked.stdout
    row_after = next(line for line in listed_after.stdout.splitlines() if line.startswith(key_id(key)))
    assert not row_after.endswith("\t-")
    assert unknown.returncode != 0 and "00000000000000ff" in unknown.stderr


def test_two_keys_work_at_once_and_a_revoked_one_stops_within_the_cache_time(
    keyed_gateway: Gateway, store: EmbeddedMongo
) -> None:
    old, new = new_key(store, "old backend"), new_key(store, "new backend")

    with keyed_gateway.http() as client:
        both = [client.get("/api/v1/payments?limit=1", headers=bearer(key)).status_code for key in (old, new)]
        assert apikey(store, "revoke", key_id(old)).returncode == 0
        deadline = time.monotonic() + CACHE_SECONDS + 10
        while client.get("/api/v1/payments?limit=1", headers=bearer(old)).status_code != 401:
            assert time.monotonic() < deadline, "the revoked key still works"
            time.sleep(0.2)
        refused = client.post("/api/v1/mpesa/stk/push", json=push_body("rotated"), headers=bearer(old))
        kept = client.get("/api/v1/payments?limit=1", headers=bearer(new))

    assert both == [200, 200]
    assert (refused.status_code, kept.status_code) == (401, 200)
    last_used = next(line for line in apikey(store, "list").stdout.splitlines() if line.startswith(key_id(new)))
    assert last_used.split("\t")[3] != "-"


async def test_reference_and_metadata_travel_through_socket_push_and_withdraw_updates_and_the_read_api(
    keyed_gateway: Gateway, api_key: str
) -> None:
    hash_ = f"merchant-{uuid.uuid4().hex[:8]}"
    payload = {"phone": fresh_phone(), "amount": 100, "description": "Order", "reference": "INV-1042"}

    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/{hash_}", keyed_gateway.tls) as client:
        ack = await client.request({"kind": "push", "payload": {**payload, "metadata": METADATA}})
        final = await client.final_update(ack["data"]["id"])
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/b2c/{hash_}", keyed_gateway.tls) as client:
        withdrawn = await client.request(
            {"kind": "withdraw", "payload": {**payload, "amount": 500, "reference": "Refund 1042", "metadata": {}}}
        )
        paid_out = await client.update_where(lambda d: d["id"] == withdrawn["data"]["id"] and d["status"] == "success")
    async with httpx.AsyncClient(base_url=keyed_gateway.https, verify=keyed_gateway.tls) as http:
        read = (await http.get(f"/api/v1/payments/{ack['data']['id']}", headers=bearer(api_key))).json()
        read_b2c = (await http.get(f"/api/v1/payments/{withdrawn['data']['id']}", headers=bearer(api_key))).json()

    assert ack["ok"] is True, ack
    for data in (ack["data"], final["data"], read["data"]):
        assert (data["reference"], data["metadata"]) == ("INV-1042", METADATA)
    assert final["data"]["status"] == "success"
    assert (read["kind"], read["hash"], read["data"]) == ("stk", hash_, final["data"])
    for data in (withdrawn["data"], paid_out["data"], read_b2c["data"]):
        assert (data["reference"], data["metadata"]) == ("Refund 1042", {})
    assert (read_b2c["kind"], read_b2c["data"]) == ("b2c", paid_out["data"])


async def test_http_push_and_withdraw_with_a_key_carry_reference_and_metadata_to_the_sockets_and_the_read_api(
    keyed_gateway: Gateway, api_key: str
) -> None:
    hash_ = f"merchant-{uuid.uuid4().hex[:8]}"
    stk = await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/{hash_}", keyed_gateway.tls)
    b2c = await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/b2c/{hash_}", keyed_gateway.tls)
    async with stk, b2c, httpx.AsyncClient(base_url=keyed_gateway.https, verify=keyed_gateway.tls) as http:
        pushed = await http.post(
            "/api/v1/mpesa/stk/push",
            json=push_body(hash_, reference="INV-7", metadata=METADATA),
            headers={**bearer(api_key), "Idempotency-Key": "invoice-7"},
        )
        withdrawn = await http.post(
            "/api/v1/mpesa/b2c/withdraw",
            json=withdraw_body(hash_, reference="Refund for order 7", metadata={"ticket": "77"}),
            headers={**bearer(api_key), "Idempotency-Key": "refund-7"},
        )
        payment_id, withdrawal_id = pushed.json()["data"]["id"], withdrawn.json()["data"]["id"]
        paid = await stk.final_update(payment_id)
        paid_out = await b2c.update_where(lambda data: data["id"] == withdrawal_id and data["status"] == "success")
        listed = (await http.get("/api/v1/payments", params={"hash": hash_}, headers=bearer(api_key))).json()
        one_b2c = (await http.get(f"/api/v1/payments/{withdrawal_id}", headers=bearer(api_key))).json()

    assert (pushed.status_code, withdrawn.status_code) == (201, 201), (pushed.text, withdrawn.text)
    assert (pushed.json()["kind"], withdrawn.json()["kind"], withdrawn.json()["data"]["status"]) == (
        "push",
        "withdraw",
        "queued",
    )
    assert (paid["data"]["reference"], paid["data"]["metadata"]) == ("INV-7", METADATA)
    assert (paid_out["data"]["reference"], paid_out["data"]["metadata"]) == ("Refund for order 7", {"ticket": "77"})
    assert [(item["kind"], item["data"]["id"]) for item in listed["data"]] == [
        ("b2c", withdrawal_id),
        ("stk", payment_id),
    ]
    assert listed["next_cursor"] is None
    assert one_b2c["data"]["reference"] == "Refund for order 7" and one_b2c["hash"] == hash_


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"reference": "thirteen-char"}, "reference"),
        ({"reference": "INV#7"}, "reference"),
        ({"metadata": {"nested": {"a": 1}}}, "metadata.nested"),
        ({"metadata": {f"k{n}": n for n in range(21)}}, "metadata"),
        ({"metadata": "order=7"}, "metadata"),
    ],
)
async def test_bad_reference_or_metadata_is_refused_everywhere_and_nothing_is_stored_or_sent(
    keyed_gateway: Gateway,
    api_key: str,
    simulator: Simulator,
    payments: Collection,
    withdrawals: Collection,
    extra: dict[str, Any],
    field: str,
) -> None:
    hash_ = f"bad-{uuid.uuid4().hex[:8]}"
    push, withdraw = push_body(hash_, **extra), withdraw_body(hash_, **extra)
    socket_payload = {key: value for key, value in push.items() if key != "hash"}
    if extra.get("reference") == "thirteen-char":
        withdraw["metadata"] = ["not", "an", "object"]  # a 13-character Occasion is fine: refuse the withdrawal too

    async with httpx.AsyncClient(base_url=keyed_gateway.https, verify=keyed_gateway.tls) as http:
        answers = [
            await http.post("/api/v1/mpesa/stk/push", json=push, headers=bearer(api_key)),
            await http.post("/api/v1/mpesa/b2c/withdraw", json=withdraw, headers=bearer(api_key)),
        ]
    async with await SocketClient.connect(f"{keyed_gateway.wss}/mpesa/stk/{hash_}", keyed_gateway.tls) as client:
        over_socket = await client.request({"kind": "push", "payload": socket_payload})

    assert [answer.status_code for answer in answers] == [400, 400]
    assert {answer.json()["error"]["code"] for answer in answers} == {"VALIDATION_ERROR"}
    assert answers[0].json()["error"]["details"][0]["field"] == field
    assert (over_socket["ok"], over_socket["error"]["code"]) == (False, "VALIDATION_ERROR")
    assert payments.count_documents({"hash": hash_}) == 0 and withdrawals.count_documents({"hash": hash_}) == 0
    assert per_phone(simulator, push["phone"]) == 0


async def test_the_read_api_pages_newest_first_through_payments_made_in_the_same_second(
    keyed_gateway: Gateway, api_key: str
) -> None:
    hash_ = f"pages-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=keyed_gateway.https, verify=keyed_gateway.tls, timeout=30) as http:
        made = await asyncio.gather(
            *(http.post("/api/v1/mpesa/stk/push", json=push_body(hash_), headers=bearer(api_key)) for _ in range(12))
        )
        pages: list[list[dict[str, Any]]] = []
        cursor: str | None = None
        for _ in range(10):
            params = {"hash": hash_, "kind": "stk", "limit": 5, **({"cursor": cursor} if cursor else {})}
            page = (await http.get("/api/v1/payments", params=params, headers=bearer(api_key))).json()
            pages.append(page["data"])
            cursor = page["next_cursor"]
            if cursor is None:
                break

    created = {answer.json()["data"]["id"] for answer in made}
    seen = [item["data"] for page in pages for item in page]
    assert [len(page) for page in pages] == [5, 5, 2]
    assert {data["id"] for data in seen} == created and len(seen) == 12
    order = [(data["created_at"], data["id"]) for data in seen]
    assert order == sorted(order, reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=many",
        "kind=c2b",
        "status=lost",
        "kind=stk&status=queued",
        "cursor=not-a-cursor",
        "created_after=yesterday",
        "created_after=2026-01-02T00:00:00Z&created_before=2026-01-01T00:00:00Z",
    ],
)
def test_a_bad_read_api_parameter_is_a_validation_error(keyed_gateway: Gateway, api_key: str, query: str) -> None:
    with keyed_gateway.http() as client:
        answer = client.get(f"/api/v1/payments?{query}", headers=bearer(api_key))

    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "VALIDATION_ERROR"), answer.text


def test_an_unknown_id_is_not_found(keyed_gateway: Gateway, api_key: str) -> None:
    with keyed_gateway.http() as client:
        answer = client.get("/api/v1/payments/no-such-payment", headers=bearer(api_key))

    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "NOT_FOUND")


def test_the_openapi_document_describes_the_server_api(keyed_gateway: Gateway) -> None:
    with keyed_gateway.http() as client:
        paths = client.get("/schema/openapi.json").json()["paths"]

    assert {
        "/api/v1/mpesa/stk/push",
        "/api/v1/mpesa/b2c/withdraw",
        "/api/v1/payments",
        "/api/v1/payments/{record_id}",
    } <= set(paths)
    parameters = {parameter["name"] for parameter in paths["/api/v1/payments"]["get"]["parameters"]}
    assert paths["/api/v1/mpesa/b2c/withdraw"]["post"]["security"] == [{"apiKey": []}]
    assert {"hash", "status", "kind", "created_after", "created_before", "limit", "cursor"} <= parameters


def test_keyless_mode_lets_requests_without_a_key_through_but_never_a_wrong_key(
    gateway: Gateway, keyed_gateway: Gateway
) -> None:
    wrong = "mgw_00000000deadbeef_" + "cd" * 32

    with gateway.http() as client:
        keyless = client.get("/api/v1/payments?limit=1")
        with_a_wrong_key = client.get("/api/v1/payments?limit=1", headers=bearer(wrong))

    assert (keyless.status_code, with_a_wrong_key.status_code) == (200, 401)
    assert "security_api_keys_optional" in gateway.process.log_file.read_text()
    assert "security_api_keys_optional" not in keyed_gateway.process.log_file.read_text()
