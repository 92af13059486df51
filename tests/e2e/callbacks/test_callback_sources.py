"""With the sender check enforced, only callbacks from allowed addresses (or via trusted proxies) settle anything,
and only theirs are journaled in full: a refused sender's callback leaves a digest (its SHA-256 and size)."""

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from entrypoints.http.callback_sources import SAFARICOM_CALLBACK_ADDRESSES
from tests.e2e.stk.test_stk_callbacks import success_body
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import SocketClient

DATABASE = "e2e_sources"
NEVER_CALLED_BACK = 9100


@pytest.fixture(scope="module")
def guarded_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator
) -> Iterator[Gateway]:
    """Loopback is not an allowed sender, but is a trusted proxy: as a load balancer in front of the gateway."""
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        CALLBACK_SOURCE_CHECK="enforce",
        TRUSTED_PROXIES="127.0.0.1",
    )
    yield gateway
    gateway.process.stop()


async def test_a_callback_from_an_unlisted_sender_is_refused_and_one_via_the_proxy_from_safaricom_applies(
    guarded_gateway: Gateway, store: EmbeddedMongo
) -> None:
    phone = fresh_phone()
    async with await SocketClient.connect(f"{guarded_gateway.wss}/mpesa/stk/guarded", guarded_gateway.tls) as client:
        ack = await client.request(
            {"kind": "push", "payload": {"phone": phone, "amount": NEVER_CALLED_BACK, "description": "Guarded"}}
        )
        checkout, merchant_request = ack["data"]["checkout"], ack["data"]["merchant_request"]
        with pymongo.MongoClient(store.url) as mongo:
            token = mongo[DATABASE]["stk_payments"].find_one({"checkout": checkout})["callback_token"]
        body = success_body(checkout, merchant_request, float(NEVER_CALLED_BACK), phone)
        with guarded_gateway.http() as http:
            direct = http.post(f"/api/v1/hooks/stk/{token}", json=body)
            spoofed = http.post(f"/api/v1/hooks/stk/{token}", json=body, headers={"X-Forwarded-For": "203.0.113.9"})
            via_proxy = http.post(
                f"/api/v1/hooks/stk/{token}", json=body, headers={"X-Forwarded-For": SAFARICOM_CALLBACK_ADDRESSES[0]}
            )
        final = await client.final_update(checkout)
        with pymongo.MongoClient(store.url) as mongo:
            token_hash = hashlib.sha256(token.encode()).hexdigest()
            journal = mongo[DATABASE]["callback_journal"].find({"path_token_hash": token_hash}).sort("received_at", 1)
            entries = list(journal)
            applied = mongo[DATABASE]["stk_payments"].find_one({"checkout": checkout})["applied_callback"]

    assert direct.status_code == 403
    assert spoofed.status_code == 403
    assert via_proxy.status_code == 200
    assert final["data"]["status"] == "success"
    # The two refused are journaled as digests; the one that applied is kept in the payment, by the write that
    # applied it, and not journaled.
    refused = entries
    assert [(entry["digest_reason"], entry["source"]) for entry in refused] == [
        ("sender_refused", "127.0.0.1"),
        ("sender_refused", "203.0.113.9"),
    ]
    assert all("body" not in entry and entry["body_size"] == len(direct.request.content) for entry in refused)
    assert (applied["source"], base64.b64decode(applied["body_base64"])) == (
        SAFARICOM_CALLBACK_ADDRESSES[0],
        via_proxy.request.content,
    )
