"""Daraja's callback endpoint: real bodies are applied once; forged or mismatching ones change nothing."""

from typing import Any

import pymongo

from tests.support.phones import fresh_phone
from tests.support.processes import Gateway
from tests.support.socket_client import SocketClient

NEVER_CALLED_BACK = 9100  # the simulator's scenario: Daraja accepts the push and never calls back


def success_body(checkout: str, merchant_request: str, amount: float, phone: str) -> dict[str, Any]:
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": merchant_request,
                "CheckoutRequestID": checkout,
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": amount},
                        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                        {"Name": "Balance"},
                        {"Name": "TransactionDate", "Value": 20191219102115},
                        {"Name": "PhoneNumber", "Value": int(phone)},
                    ]
                },
            }
        }
    }


async def test_a_real_callback_settles_once_and_forgeries_change_nothing(
    gateway: Gateway,
    payments: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    phone = fresh_phone()
    async with await SocketClient.connect(f"{gateway.wss}/mpesa/stk/callbacks", gateway.tls) as client:
        ack = await client.request(
            {"kind": "push", "payload": {"phone": phone, "amount": NEVER_CALLED_BACK, "description": "Callback"}}
        )
        checkout, merchant_request = ack["data"]["checkout"], ack["data"]["merchant_request"]
        token = payments.find_one({"checkout": checkout})["callback_token"]
        genuine = success_body(checkout, merchant_request, float(NEVER_CALLED_BACK), phone)
        with gateway.http() as http:
            forged = http.post("/api/v1/mpesa/stk/callback/callbacks", json=genuine)
            wrong_amount = http.post(
                f"/api/v1/mpesa/stk/callback/{token}", json=success_body(checkout, merchant_request, 1.0, phone)
            )
            malformed = http.post(f"/api/v1/mpesa/stk/callback/{token}", content=b'{"Body": {}}')
            still_pending = payments.find_one({"checkout": checkout})["status"]
            applied = http.post(f"/api/v1/mpesa/stk/callback/{token}", json=genuine)
            final = await client.final_update(checkout)
            cancelled_later = success_body(checkout, merchant_request, float(NEVER_CALLED_BACK), phone)
            cancelled_later["Body"]["stkCallback"].update(ResultCode=1032, ResultDesc="Request cancelled by user")
            del cancelled_later["Body"]["stkCallback"]["CallbackMetadata"]
            duplicate = http.post(f"/api/v1/hooks/stk/{token}", json=cancelled_later)
        stored = payments.find_one({"checkout": checkout})

    assert forged.status_code == 403
    assert wrong_amount.status_code == 403
    assert malformed.status_code == 400
    assert still_pending == "pending"
    assert applied.status_code == 200
    assert applied.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert final["data"]["status"] == "success"
    assert final["data"]["receipt"] == "NLJ7RT61SV"
    assert duplicate.status_code == 200
    assert stored["status"] == "success"
    assert stored["receipt"] == "NLJ7RT61SV"
    assert [u["data"]["status"] for u in client.updates if u["data"]["checkout"] == checkout] == ["pending", "success"]


def test_the_callback_url_given_to_daraja_never_carries_the_client_hash(
    gateway: Gateway,
    payments: pymongo.collection.Collection,  # type: ignore[type-arg]
) -> None:
    with gateway.http() as http:
        response = http.post(
            "/api/v1/mpesa/stk/push",
            json={"phone": fresh_phone(), "amount": 12, "description": "Secret URL", "hash": "visible-hash"},
        )
    stored = payments.find_one({"payment_id": response.json()["data"]["id"]})

    assert stored["callback_token"] not in response.text
    assert len(stored["callback_token"]) >= 32
    assert stored["callback_token"] != "visible-hash"
