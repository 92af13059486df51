"""Signed mode over wss://: only capability tokens open sockets, the topic is the token's subject, claims are kept."""

import asyncio
import base64
import json
import os
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pymongo
import pytest
import websockets

from adapters.mongo.embedded_server import EmbeddedMongo
from domain.access.capability import Capability
from domain.access.capability_token import LEEWAY, TokenKeys, mint_v1_token
from entrypoints.ws.authorisation import EXPIRED_REASON
from tests.support.gateway_settings import DATABASE
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, cli, start_gateway
from tests.support.socket_client import SocketClient

KEYS = f"current:{'c' * 40},previous:{'p' * 40}"
OPERATOR_TOKEN = "o" * 40
EXAMPLES = Path(__file__).parents[3] / "examples" / "minting"


@pytest.fixture(scope="module")
def signed_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    secrets = workdir / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "client_token_keys").write_text(KEYS + "\n")
    (secrets / "operator_token").write_text(OPERATOR_TOKEN + "\n")
    gateway = start_gateway(
        workdir,
        *tls_files,
        CLIENT_AUTH="signed",
        CLIENT_TOKEN_KEYS_FILE=str(secrets / "client_token_keys"),
        OPERATOR_TOKEN_FILE=str(secrets / "operator_token"),
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
    )
    yield gateway
    gateway.process.stop()


def token(*arguments: str) -> str:
    """Minted by `mpesa-gateway token`, as an operator would."""
    environment = {**os.environ, "CLIENT_TOKEN_KEYS": KEYS}
    result = subprocess.run(cli("token", *arguments), env=environment, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def run_minter(arguments: list[str]) -> str:
    return subprocess.run(arguments, capture_output=True, text=True, check=True, timeout=30).stdout.strip()


async def refused_with(url: str, gateway: Gateway) -> tuple[int, str]:
    async with websockets.connect(url, ssl=gateway.tls, open_timeout=10) as connection:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await connection.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def push(phone: str) -> dict[str, object]:
    return {"kind": "push", "payload": {"phone": phone, "amount": 100, "description": "Payment for services"}}


def withdraw(phone: str, amount: int = 500) -> dict[str, object]:
    return {"kind": "withdraw", "payload": {"phone": phone, "amount": amount, "description": "Withdrawal request"}}


@pytest.mark.parametrize("endpoint", ["stk", "b2c"])
async def test_a_plain_hash_is_refused_in_signed_mode(signed_gateway: Gateway, endpoint: str) -> None:
    code, reason = await refused_with(f"{signed_gateway.wss}/mpesa/{endpoint}/user123", signed_gateway)

    assert code == 1008
    assert reason.startswith("UNAUTHORIZED")


async def test_a_forged_or_expired_v1_token_is_refused(signed_gateway: Gateway) -> None:
    expired = mint_v1_token(
        TokenKeys.parse(KEYS), Capability("user123", frozenset({"stk"}), datetime.now(UTC) - timedelta(seconds=1))
    )
    retired = mint_v1_token(
        TokenKeys.parse("retired:" + "r" * 40),
        Capability("user123", frozenset({"stk"}), datetime.now(UTC) + timedelta(hours=1)),
    )
    good = mint_v1_token(
        TokenKeys.parse(KEYS), Capability("user123", frozenset({"stk"}), datetime.now(UTC) + timedelta(hours=1))
    )
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")

    for bad in (expired, retired, tampered, "v1.current.e30.AAAA"):
        code, reason = await refused_with(f"{signed_gateway.wss}/mpesa/stk/{bad}", signed_gateway)
        assert code == 1008, bad
        assert reason.startswith("UNAUTHORIZED")
    assert "expired" in (await refused_with(f"{signed_gateway.wss}/mpesa/stk/{expired}", signed_gateway))[1]


def jwt_of(payload: dict[str, object], secret: str = "c" * 40, algorithm: str = "HS256", kid: str = "current") -> str:
    """What a merchant's backend mints with its JWT library."""
    return jwt.encode(payload, secret, algorithm=algorithm, headers={"kid": kid})


async def test_a_forged_or_expired_jwt_is_refused(signed_gateway: Gateway) -> None:
    hour = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    claims = {"sub": "user123", "exp": hour, "scope": "stk"}
    good = jwt_of(claims)
    header, _, signature = good.split(".")
    widened = jwt.utils.base64url_encode(json.dumps({**claims, "sub": "someone-else"}).encode()).decode()
    refused = {
        "expired": jwt_of({**claims, "exp": int((datetime.now(UTC) - LEEWAY).timestamp()) - 1}),
        "unsigned": jwt.encode(claims, None, algorithm="none", headers={"kid": "current"}),
        "HS512": jwt_of(claims, secret="c" * 64, algorithm="HS512"),
        "unknown kid": jwt_of(claims, kid="retired"),
        "another secret": jwt_of(claims, secret="x" * 40),
        "another hash": f"{header}.{widened}.{signature}",
        "no exp": jwt_of({"sub": "user123", "scope": "stk"}),
    }

    reasons = {}
    for name, bad in refused.items():
        code, reasons[name] = await refused_with(f"{signed_gateway.wss}/mpesa/stk/{bad}", signed_gateway)
        assert (code, reasons[name].split(":")[0]) == (1008, "UNAUTHORIZED"), name
    async with await SocketClient.connect(f"{signed_gateway.wss}/mpesa/stk/{good}", signed_gateway.tls) as client:
        await client.connection.ping()

    assert "expired" in reasons["expired"]
    assert "HS256" in reasons["unsigned"] and "HS256" in reasons["HS512"]
    assert "kid" in reasons["unknown kid"]
    assert "signature" in reasons["another secret"] and "signature" in reasons["another hash"]
    assert "exp" in reasons["no exp"]


async def test_a_good_token_opens_the_socket_and_its_subject_is_the_topic_and_the_stored_hash(
    signed_gateway: Gateway,
    payments: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    subject = f"shop-user-{fresh_phone()}"
    secret_token = token("--subject", subject, "--scope", "stk")
    url = f"{signed_gateway.wss}/mpesa/stk/{secret_token}"

    async with await SocketClient.connect(url, signed_gateway.tls) as client:
        reply = await client.request(push(fresh_phone()))
        final = await client.final_update(reply["data"]["checkout"])

    assert reply["ok"] is True
    assert final["topic"] == f"/mpesa/{subject}"
    assert final["data"]["status"] == "success"
    assert payments.count_documents({"hash": subject}) == 1
    assert jwt.get_unverified_header(secret_token)["alg"] == "HS256"
    assert secret_token.split(".", 1)[1] not in signed_gateway.process.log_file.read_text()


async def test_a_v1_token_still_opens_the_socket_and_is_logged_and_counted(signed_gateway: Gateway) -> None:
    subject = f"legacy-{fresh_phone()}"
    legacy = mint_v1_token(
        TokenKeys.parse(KEYS), Capability(subject, frozenset({"stk"}), datetime.now(UTC) + timedelta(hours=1))
    )
    with signed_gateway.http() as http:
        before = v1_tokens_counted(http.get("/metrics").text)

    async with await SocketClient.connect(f"{signed_gateway.wss}/mpesa/stk/{legacy}", signed_gateway.tls) as client:
        reply = await client.request(push(fresh_phone()))
        update = await client.update_where(lambda data: data.get("id") == reply["data"]["id"])
    with signed_gateway.http() as http:
        after = v1_tokens_counted(http.get("/metrics").text)

    assert update["topic"] == f"/mpesa/{subject}"
    assert after == before + 1
    assert '"deprecated_v1_token"' in signed_gateway.process.log_file.read_text()


def v1_tokens_counted(metrics: str) -> float:
    samples = (line.split() for line in metrics.splitlines())
    return next(float(sample[1]) for sample in samples if sample and sample[0] == "mpesa_gateway_v1_tokens_total")


async def test_the_topic_is_the_same_across_token_renewals(signed_gateway: Gateway) -> None:
    subject = f"renewing-{fresh_phone()}"
    first = token("--subject", subject, "--scope", "stk", "--ttl", "60")
    renewed = token("--subject", subject, "--scope", "stk", "--ttl", "3600")

    async with (
        await SocketClient.connect(f"{signed_gateway.wss}/mpesa/stk/{first}", signed_gateway.tls) as old,
        await SocketClient.connect(f"{signed_gateway.wss}/mpesa/stk/{renewed}", signed_gateway.tls) as new,
    ):
        reply = await new.request(push(fresh_phone()))
        seen_by_old = await old.final_update(reply["data"]["checkout"])

    assert seen_by_old["topic"] == f"/mpesa/{subject}"


def expiry_of(minted: str) -> int:
    """The token's `exp`, read without checking it (the claims are the second part from the end in both formats)."""
    claims = minted.split(".")[-2]
    return int(json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["exp"])


@pytest.mark.parametrize("token_format", ["jwt", "v1"])
async def test_a_socket_is_closed_when_its_token_expires_and_a_lasting_one_is_not(
    signed_gateway: Gateway, token_format: str
) -> None:
    subject = f"expiring-{fresh_phone()}"
    lasting = token("--subject", subject, "--scope", "stk", "--ttl", "3600")
    if token_format == "jwt":  # honoured for the leeway past its `exp`
        expiring, closes_at = token("--subject", subject, "--scope", "stk", "--ttl", "4"), LEEWAY.total_seconds()
    else:
        short_lived = Capability(subject, frozenset({"stk"}), datetime.now(UTC) + timedelta(seconds=4))
        expiring, closes_at = mint_v1_token(TokenKeys.parse(KEYS), short_lived), 0.0
    closes_at += expiry_of(expiring)

    async with (
        await SocketClient.connect(f"{signed_gateway.wss}/mpesa/stk/{expiring}", signed_gateway.tls) as short,
        await SocketClient.connect(f"{signed_gateway.wss}/mpesa/stk/{lasting}", signed_gateway.tls) as long,
    ):
        before_expiry = await short.request(push(fresh_phone()))
        await asyncio.wait_for(short.connection.wait_closed(), timeout=15)
        closed_at = time.time()
        reply = await long.request(push(fresh_phone()))
        final = await long.final_update(reply["data"]["checkout"])

    assert before_expiry["ok"] is True, before_expiry
    assert (short.connection.close_code, short.connection.close_reason) == (1008, EXPIRED_REASON)
    assert closes_at - 0.1 <= closed_at <= closes_at + 1.5
    assert final["data"]["status"] == "success"
    assert not [update for update in short.updates if update["data"].get("id") == reply["data"]["id"]]


async def test_withdrawals_need_the_b2c_scope(signed_gateway: Gateway) -> None:
    stk_only = token("--subject", "payer-only", "--scope", "stk")
    both = token("--subject", f"withdrawer-{fresh_phone()}", "--scope", "stk", "--scope", "b2c")

    code, reason = await refused_with(f"{signed_gateway.wss}/mpesa/b2c/{stk_only}", signed_gateway)
    async with await SocketClient.connect(f"{signed_gateway.wss}/mpesa/b2c/{both}", signed_gateway.tls) as client:
        reply = await client.request(withdraw(fresh_phone()))

    assert (code, "b2c" in reason) == (1008, True)
    assert reply["ok"] is True, reply
    assert reply["data"]["status"] == "queued"


async def test_a_bound_phone_and_a_maximum_withdrawal_are_enforced(signed_gateway: Gateway) -> None:
    phone = fresh_phone()
    bound = token("--subject", f"bound-{phone}", "--scope", "stk", "--scope", "b2c", "--phone", phone)
    limited = token("--subject", f"limited-{phone}", "--scope", "b2c", "--max-withdrawal", "1000")

    async with await SocketClient.connect(f"{signed_gateway.wss}/mpesa/stk/{bound}", signed_gateway.tls) as stk:
        other_phone = await stk.request(push(fresh_phone()))
    async with await SocketClient.connect(f"{signed_gateway.wss}/mpesa/b2c/{bound}", signed_gateway.tls) as b2c:
        other_payee = await b2c.request(withdraw(fresh_phone()))
    async with await SocketClient.connect(f"{signed_gateway.wss}/mpesa/b2c/{limited}", signed_gateway.tls) as b2c:
        too_much = await b2c.request(withdraw(fresh_phone(), amount=1001))

    assert other_phone["error"]["code"] == "UNAUTHORIZED"
    assert other_payee["error"]["code"] == "UNAUTHORIZED"
    assert too_much["error"]["code"] == "LIMIT_EXCEEDED"


@pytest.mark.parametrize("language", ["python", "node"])
async def test_the_readme_minting_examples_make_jwts_the_gateway_accepts(
    signed_gateway: Gateway, language: str, node_examples: Path
) -> None:
    subject = f"example-{fresh_phone()}"
    minter = {
        "python": [sys.executable, str(EXAMPLES / "mint_token.py")],
        "node": [str(node_examples), str(EXAMPLES / "mint_token.mjs")],
    }[language]
    # Minted with the second, older key: both active keys are accepted.
    minted = run_minter([*minter, "previous", "p" * 40, subject, "stk,b2c", "300"])

    async with await SocketClient.connect(f"{signed_gateway.wss}/mpesa/stk/{minted}", signed_gateway.tls) as client:
        reply = await client.request(push(fresh_phone()))
        update = await client.update_where(lambda data: data.get("id") == reply["data"]["id"])

    assert jwt.get_unverified_header(minted) == {"alg": "HS256", "kid": "previous"} | (
        {"typ": "JWT"} if language == "python" else {}
    )
    assert reply["ok"] is True
    assert update["topic"] == f"/mpesa/{subject}"


@pytest.mark.parametrize("path", ["/mpesa/stkx/user123", "/mpesa/stk/user123/more", "/mpesa/stk", "/mpesa/other/x"])
async def test_an_upgrade_beside_the_socket_paths_is_refused(gateway: Gateway, path: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{gateway.wss}{path}", ssl=gateway.tls, open_timeout=10)  # type: ignore[arg-type]
    async with websockets.connect(f"{gateway.wss}/mpesa/stk/user123", ssl=gateway.tls) as opened:  # type: ignore[arg-type]
        await opened.ping()

    assert refused.value.response.status_code == 403


async def test_a_browser_upgrade_from_another_origin_is_refused(signed_gateway: Gateway) -> None:
    url = f"{signed_gateway.wss}/mpesa/stk/{token('--subject', 'browser-user', '--scope', 'stk')}"

    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, ssl=signed_gateway.tls, origin="https://evil.example", open_timeout=10)  # type: ignore[arg-type]
    async with websockets.connect(url, ssl=signed_gateway.tls, origin=signed_gateway.https) as own:  # type: ignore[arg-type]
        await own.ping()

    assert refused.value.response.status_code == 403


def test_http_answers_carry_hsts(signed_gateway: Gateway, gateway: Gateway) -> None:
    for each in (signed_gateway, gateway):
        with each.http() as client:
            for path in ("/health", "/no-such-page"):
                assert client.get(path).headers["strict-transport-security"].startswith("max-age="), path


def test_a_secret_is_read_from_its_file(signed_gateway: Gateway) -> None:
    with signed_gateway.http() as client:
        answer = client.get("/api/v1/operator/anomalies", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})

    assert answer.status_code == 200


def test_tls_before_1_2_is_refused(signed_gateway: Gateway, tls_files: tuple[Path, Path]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # naming TLS 1.1 at all is deprecated, as it should be
        legacy = ssl.create_default_context(cafile=str(tls_files[0]))
        legacy.minimum_version = legacy.maximum_version = ssl.TLSVersion.TLSv1_1

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{signed_gateway.https}/health", verify=legacy, timeout=5)


def test_a_capability_token_does_not_open_the_http_push(
    signed_gateway: Gateway,
    payments: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    subject, phone = f"server-{fresh_phone()}", fresh_phone()
    body = {"phone": phone, "amount": 100, "description": "Payment for services", "hash": subject}
    own = token("--subject", subject, "--scope", "stk")

    with signed_gateway.http() as client:
        refused = client.post("/api/v1/mpesa/stk/push", json=body, headers={"Authorization": f"Bearer {own}"})

    # Server requests carry API keys (test_server_api.py); tokens are the sockets' credential.
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    assert payments.count_documents({"phone": phone}) == 0
