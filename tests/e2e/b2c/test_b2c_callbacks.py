"""Daraja's B2C Result and queue time-out callbacks at the older /api/v1/mpesa/... paths: applied once, forgeries
change nothing."""

from typing import Any

import pymongo

from tests.support.phones import fresh_phone
from tests.support.processes import Gateway
from tests.support.socket_client import SocketClient

RESULT_NEVER_SENT = 9100  # the simulator's scenario: Daraja pays but never posts the Result


def result_body(withdrawal: dict[str, Any], amount: float, code: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": code,
        "ResultDesc": "The service request is processed successfully."
        if code == 0
        else "The service request has timed out.",
        "OriginatorConversationID": withdrawal["originator_conversation_id"],
        "ConversationID": withdrawal["conversation_id"],
        "TransactionID": "SG632NMUAB",
        "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL", "Value": "https://internal/submit"}},
    }
    if code == 0:
        result["ResultParameters"] = {
            "ResultParameter": [
                {"Key": "TransactionAmount", "Value": amount},
                {"Key": "TransactionReceipt", "Value": "SG632NMUAB"},
                {"Key": "ReceiverPartyPublicName", "Value": f"{withdrawal['phone']} - JANE WANJIKU"},
                {"Key": "TransactionCompletedDateTime", "Value": "06.07.2024 22:48:52"},
                {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
            ]
        }
    return {"Result": result}


async def submitted_without_result(client: SocketClient) -> dict[str, Any]:
    ack = await client.request(
        {"kind": "withdraw", "payload": {"phone": fresh_phone(), "amount": RESULT_NEVER_SENT, "description": "Lost"}}
    )
    update = await client.update_where(lambda d: d["id"] == ack["data"]["id"] and d["status"] == "submitted")
    return update["data"]


async def test_a_result_at_the_seed_path_settles_once_and_forgeries_change_nothing(
    gateway: Gateway,
    withdrawals: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/b2c/b2c-callbacks", gateway.tls) as client:
        withdrawal = await submitted_without_result(client)
        token = withdrawals.find_one({"withdrawal_id": withdrawal["id"]})["callback_token"]
        with gateway.http() as http:
            forged = http.post("/api/v1/mpesa/b2c/withdraw/b2c-callbacks", json=result_body(withdrawal, 9100.0))
            wrong_amount = http.post(f"/api/v1/mpesa/b2c/withdraw/{token}", json=result_body(withdrawal, 1.0))
            malformed = http.post(f"/api/v1/mpesa/b2c/withdraw/{token}", content=b'{"Result": {}}')
            applied = http.post(f"/api/v1/mpesa/b2c/withdraw/{token}", json=result_body(withdrawal, 9100.0))
            final = await client.update_where(lambda d: d["id"] == withdrawal["id"] and d["status"] == "success")
            late_timeout = http.post(f"/api/v1/mpesa/b2c/queue/{token}", json=result_body(withdrawal, 0, code=1))
        stored = withdrawals.find_one({"withdrawal_id": withdrawal["id"]})

    assert forged.status_code == 403
    assert wrong_amount.status_code == 403
    assert malformed.status_code == 400
    assert applied.status_code == 200
    assert applied.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert final["data"]["receipt"] == "SG632NMUAB"
    assert final["data"]["recipient_name"].endswith("JANE WANJIKU")
    assert late_timeout.status_code == 200
    assert stored["status"] == "success"


async def test_a_queue_time_out_at_the_seed_path_leaves_the_withdrawal_timed_out_not_resent(
    gateway: Gateway,
    withdrawals: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/b2c/b2c-timeouts", gateway.tls) as client:
        withdrawal = await submitted_without_result(client)
        token = withdrawals.find_one({"withdrawal_id": withdrawal["id"]})["callback_token"]
        with gateway.http() as http:
            notice = http.post(f"/api/v1/mpesa/b2c/queue/{token}", json=result_body(withdrawal, 0, code=1))
        timed_out = await client.update_where(lambda d: d["id"] == withdrawal["id"] and d["status"] == "timeout")

    assert notice.status_code == 200
    assert timed_out["data"]["outcome_unknown"] is True
    assert withdrawals.find_one({"withdrawal_id": withdrawal["id"]})["status"] == "timeout"
