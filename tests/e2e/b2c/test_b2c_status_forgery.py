"""Forged Transaction Status answers, end to end: only the answer to the query still open, at its own secret URL and
naming the payout it asked about, settles a withdrawal.

The payout is one Daraja paid and whose Result it never sent (the simulator's 9100 scenario), so only Transaction
Status can settle it. The gateway's CALLBACK_BASE_URL is a relay (tests/support/callback_relay.py) that withholds the
status answers, so the test learns each query's secret URL from Daraja's own answer and chooses when it arrives.
"""

import hashlib
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymongo
import pytest

from adapters.mongo.embedded_server import EmbeddedMongo
from tests.support.callback_relay import CallbackRelay, RelayedCallback
from tests.support.phones import fresh_phone
from tests.support.processes import Gateway, Simulator, start_gateway
from tests.support.socket_client import SocketClient

DATABASE = "e2e_status_forgery"  # its own: no other gateway's reconciler asks about these withdrawals
PAID_RESULT_NEVER_SENT = 9100
STATUS_PATH = "/api/v1/hooks/b2c/status/"
FIRST_CHECK_SECONDS = 2  # then 2, 4, 8, 16 s between queries: the later ones stay open long enough to forge at
OPEN_LONG_ENOUGH = timedelta(seconds=4)
WAIT_SECONDS = 40.0
Database = pymongo.database.Database  # type: ignore[type-arg]


@pytest.fixture(scope="module")
def relay() -> Iterator[CallbackRelay]:
    relay = CallbackRelay().start()
    relay.withhold(STATUS_PATH)
    yield relay
    relay.stop()


@pytest.fixture(scope="module")
def status_gateway(
    workdir: Path, tls_files: tuple[Path, Path], store: EmbeddedMongo, simulator: Simulator, relay: CallbackRelay
) -> Iterator[Gateway]:
    gateway = start_gateway(
        workdir,
        *tls_files,
        MONGODB_URL=store.url,
        MONGODB_DATABASE=DATABASE,
        DARAJA_BASE_URL=simulator.url,
        CALLBACK_BASE_URL=relay.url,
        B2C_FIRST_CHECK_SECONDS=str(FIRST_CHECK_SECONDS),
        RECONCILE_MAX_DELAY_SECONDS="60",
        RECONCILE_POLL_SECONDS="0.3",
    )
    relay.forward_to(gateway.https, gateway.tls)
    yield gateway
    gateway.process.stop()


@pytest.fixture(scope="module")
def database(store: EmbeddedMongo) -> Iterator[Database]:
    client: pymongo.MongoClient = pymongo.MongoClient(store.url, tz_aware=True)  # type: ignore[type-arg]
    yield client[DATABASE]
    client.close()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def status_answers(relay: CallbackRelay) -> list[RelayedCallback]:
    return [callback for callback in relay.received if callback.path.startswith(STATUS_PATH)]


def query_token(answer: RelayedCallback) -> str:
    return answer.path.removeprefix(STATUS_PATH)


def asked_about(answer: RelayedCallback, originator_conversation_id: str) -> bool:
    items = answer.json()["Result"].get("ResultParameters", {}).get("ResultParameter", [])
    return any(item.get("Value") == originator_conversation_id for item in items)


def open_query_answer(
    relay: CallbackRelay, database: Database, withdrawal_id: str
) -> tuple[RelayedCallback, list[RelayedCallback]]:
    """Daraja's (withheld) answer to the query the withdrawal has open, once that query has a few seconds left before
    the reconciler supersedes it; and the withheld answers to the earlier, superseded queries."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        stored = database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal_id})
        mine = [a for a in status_answers(relay) if asked_about(a, stored["originator_conversation_id"])]
        current = [a for a in mine if digest(query_token(a)) == stored.get("status_query_digest")]
        left = stored["next_check_at"] - datetime.now(UTC)
        if current and len(mine) > 1 and left > OPEN_LONG_ENOUGH:
            return current[0], [a for a in mine if a is not current[0]]
        time.sleep(0.1)
    raise TimeoutError("no status query stayed open long enough to forge an answer to")


def status_body(
    originator_conversation_id: str, conversation_id: str, status: str, receipt: str, amount: int
) -> dict[str, Any]:
    """A Transaction Status answer in Daraja's shape, as a forger who read the payout's ids would write it."""
    return {
        "Result": {
            "ResultType": 0,
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "OriginatorConversationID": str(uuid.uuid4()),
            "ConversationID": "AG_20250314_forged0000000000000",
            "TransactionID": "FORGED0001",
            "ResultParameters": {
                "ResultParameter": [
                    {"Key": "OriginatorConversationID", "Value": originator_conversation_id},
                    {"Key": "TransactionStatus", "Value": status},
                    {"Key": "Amount", "Value": amount},
                    {"Key": "ConversationID", "Value": conversation_id},
                    {"Key": "ReceiptNo", "Value": receipt},
                    {"Key": "FinalisedTime", "Value": 20250314124852},
                ]
            },
            "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": originator_conversation_id}},
        }
    }


def daily_total(database: Database, hash_: str) -> int:
    return sum(day["total"] for day in database["b2c_daily_totals"].find({"hash": hash_}))


async def test_forged_status_answers_are_refused_and_change_nothing_while_the_genuine_one_settles(
    status_gateway: Gateway, relay: CallbackRelay, database: Database
) -> None:
    hash_ = uuid.uuid4().hex
    async with await SocketClient.connect(f"{status_gateway.wss}/mpesa/b2c/{hash_}", status_gateway.tls) as client:
        ack = await client.request(
            {
                "kind": "withdraw",
                "payload": {"phone": fresh_phone(), "amount": PAID_RESULT_NEVER_SENT, "description": "Forged"},
            }
        )
        withdrawal_id = ack["data"]["id"]
        await client.update_where(lambda d: d["id"] == withdrawal_id and d["status"] == "submitted")
        genuine, superseded = open_query_answer(relay, database, withdrawal_id)
        before = database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal_id})
        reserved = daily_total(database, hash_)
        ids = (before["originator_conversation_id"], before["conversation_id"])

        def forged(status: str, originator_conversation_id: str = ids[0]) -> dict[str, Any]:
            return status_body(originator_conversation_id, ids[1], status, "FORGED0002", PAID_RESULT_NEVER_SENT)

        forgeries = {
            "the payout's own result token, Completed": (before["callback_token"], forged("Completed")),
            "the payout's own result token, Failed": (before["callback_token"], forged("Failed")),
            "a random token": (uuid.uuid4().hex, forged("Completed")),
            "a superseded query's token": (query_token(superseded[0]), forged("Failed")),
            "the open query's token, another payout": (query_token(genuine), forged("Failed", str(uuid.uuid4()))),
        }
        with status_gateway.http() as http:
            refusals = {name: http.post(STATUS_PATH + token, json=body) for name, (token, body) in forgeries.items()}
            after_forgeries = database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal_id})
            reserved_after_forgeries = daily_total(database, hash_)

            settled = http.post(genuine.path, content=genuine.body, headers={"Content-Type": "application/json"})
            final = await client.update_where(lambda d: d["id"] == withdrawal_id and d["status"] == "success")
            answered_again = http.post(genuine.path, json=forged("Failed"))
    stored = database["b2c_withdrawals"].find_one({"withdrawal_id": withdrawal_id})
    receipt = {p["Key"]: p.get("Value") for p in genuine.json()["Result"]["ResultParameters"]["ResultParameter"]}

    assert {name: (r.status_code, r.json()["ResultDesc"]) for name, r in refusals.items()} == {
        name: (403, "Rejected: no such payment") for name in forgeries
    }
    assert (after_forgeries["status"], after_forgeries["receipt"]) == ("submitted", None)
    assert after_forgeries["version"] == before["version"]
    assert after_forgeries["status_query_digest"] == digest(query_token(genuine))
    assert reserved_after_forgeries == reserved == PAID_RESULT_NEVER_SENT
    assert settled.status_code == 200
    assert final["data"]["receipt"] == receipt["ReceiptNo"] != "FORGED0002"
    assert (answered_again.status_code, stored["status"], stored["receipt"]) == (403, "success", receipt["ReceiptNo"])
    assert "status_query_digest" not in stored  # the answered query's secret no longer works
    assert daily_total(database, hash_) == PAID_RESULT_NEVER_SENT
