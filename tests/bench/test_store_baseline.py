"""The store-backed baseline (bench/store_baseline.py) does the work it stands for: a push stored, sent to the
simulator and updated; a status found in the store; a callback settling the payment once and reaching the socket.

A behaviour check on a few operations, no timing: figures belong to `python -m bench --baseline store`.
"""

import asyncio
import json
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
import websockets

from adapters.local_process import LocalProcess, free_port
from adapters.mongo.embedded_server import EmbeddedMongo
from bench.http_client import HttpConnection
from bench.run import NEVER_CALLED_BACK, success_body
from bench.store_baseline import COLLECTION, DATABASE
from entrypoints.dev_certificate import ensure_dev_certificate

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]
HASH = "store-baseline-check"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, ssl.SSLContext, pymongo.MongoClient[dict[str, Any]]]]:
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    ensure_dev_certificate(certfile, keyfile)
    with EmbeddedMongo(tmp_path / "store") as store:
        simulator_port, port = free_port(), free_port()
        simulator = [sys.executable, "-m", "entrypoints.cli", "simulator", "--port", str(simulator_port)]
        baseline = [sys.executable, "-m", "bench.baseline_app", "--port", str(port), "--certfile", str(certfile)]
        baseline += ["--keyfile", str(keyfile), "--max-seconds", "120", "--store", store.url]
        baseline += ["--daraja-url", f"http://127.0.0.1:{simulator_port}"]
        with (
            LocalProcess(simulator, port=simulator_port, log_file=tmp_path / "simulator.log", cwd=REPOSITORY),
            LocalProcess(baseline, port=port, log_file=tmp_path / "baseline.log", cwd=REPOSITORY),
            pymongo.MongoClient(store.url, serverSelectionTimeoutMS=10_000) as mongo,
        ):
            yield port, ssl.create_default_context(cafile=str(certfile)), mongo


def test_a_push_is_stored_and_updated_a_status_found_and_a_callback_reaches_the_socket(
    served: tuple[int, ssl.SSLContext, pymongo.MongoClient[dict[str, Any]]],
) -> None:
    port, tls, mongo = served
    payments = mongo[DATABASE][COLLECTION]

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[int], dict[str, Any]]:
        url = f"wss://127.0.0.1:{port}/mpesa/stk/{HASH}"
        async with websockets.connect(url, ssl=tls, open_timeout=10) as socket:
            payload = {"phone": "254712345678", "amount": NEVER_CALLED_BACK, "description": "bench"}
            await socket.send(json.dumps({"kind": "push", "payload": payload}))
            pushed = json.loads(await asyncio.wait_for(socket.recv(), 10))
            checkout = pushed["data"]["checkout"]
            await socket.send(json.dumps({"kind": "status", "payload": {"checkout": checkout}}))
            status = json.loads(await asyncio.wait_for(socket.recv(), 10))
            body = json.dumps(success_body(checkout, pushed["data"]["merchant_request"], 9100.0, "254712345678"))
            hook = HttpConnection("127.0.0.1", port, tls, 10.0, None)
            await hook.connect()
            try:
                answers = [(await hook.post(f"/hook/{HASH}", body.encode()))[0] for _ in range(2)]  # Daraja repeats
            finally:
                await hook.close()
            update = json.loads(await asyncio.wait_for(socket.recv(), 10))
            await socket.send(json.dumps({"kind": "status", "payload": {"checkout": "ws_CO_unknown"}}))
            unknown = json.loads(await asyncio.wait_for(socket.recv(), 10))
        return pushed, status, update, answers, unknown

    pushed, status, update, answers, unknown = asyncio.run(scenario())

    assert pushed["kind"] == "push" and pushed["ok"], pushed
    assert pushed["data"]["checkout"].startswith("ws_CO_"), pushed  # the simulator's CheckoutRequestID
    assert status["kind"] == "status" and status["ok"], status
    assert status["data"]["checkout"] == pushed["data"]["checkout"]
    assert status["data"]["status"] == "pending"
    assert answers == [200, 200]
    assert update["kind"] == "update" and update["topic"] == f"/mpesa/{HASH}", update
    assert update["data"]["checkout"] == pushed["data"]["checkout"]
    assert update["data"]["status"] == "success"
    assert update["data"]["receipt"] == "NLJ7RT61SV"
    assert unknown["ok"] is False
    [stored] = payments.find({})
    assert stored["_id"] == pushed["data"]["id"] and stored["hash"] == HASH
    assert stored["checkout"] == pushed["data"]["checkout"]  # the update after Daraja's answer
    assert stored["status"] == "success"
