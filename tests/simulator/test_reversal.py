"""The simulator's Transaction Reversal: Daraja's Result shape, decided by what was paid, and the money moving back."""

import json
from typing import Any

import pytest

from entrypoints.http.daraja_reversal_body import parse_reversal_result
from tests.simulator.harness import Daraja
from tests.simulator.test_c2b import _register as register_c2b_urls

REVERSAL_PATH = "/mpesa/reversal/v1/request"


async def paid_receipt(daraja: Daraja, amount: int = 150) -> str:
    path = daraja.callback_path()
    assert (await daraja.push(path, amount=amount)).status_code == 200
    [callback] = await daraja.receiver.wait_for(path)
    items = callback["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
    return str(next(item["Value"] for item in items if item["Name"] == "MpesaReceiptNumber"))


async def reversal_body(daraja: Daraja, result_path: str, receipt: str, amount: int = 150, **fields: object) -> Any:
    body: dict[str, object] = {
        "Initiator": daraja.config.initiator_name,
        "SecurityCredential": await daraja.credential(),
        "CommandID": "TransactionReversal",
        "TransactionID": receipt,
        "Amount": amount,
        "ReceiverParty": "174379",
        "RecieverIdentifierType": "11",
        "ResultURL": daraja.receiver_url + result_path,
        "QueueTimeOutURL": daraja.receiver_url + result_path + "/timeout",
        "Remarks": "Customer paid twice",
    }
    body.update(fields)
    return body


async def reverse(daraja: Daraja, receipt: str, amount: int = 150, **fields: object) -> dict[str, Any]:
    path = daraja.callback_path()
    accepted = await daraja.post(REVERSAL_PATH, await reversal_body(daraja, path, receipt, amount, **fields))
    assert accepted.status_code == 200 and accepted.json()["ResponseCode"] == "0", accepted.text
    [envelope] = await daraja.receiver.wait_for(path)
    return dict(envelope["Result"])


async def working(daraja: Daraja) -> str:
    return str((await daraja.http.get("/simulator/balances")).json()["Working Account"])


async def test_a_paid_push_is_reversed_in_safaricoms_shape_and_its_money_leaves_the_working_account(
    daraja: Daraja,
) -> None:
    receipt = await paid_receipt(daraja, amount=150)
    before = await working(daraja)

    result = await reverse(daraja, receipt)

    assert (result["ResultType"], result["ResultCode"]) == (0, 0)
    keys = [item["Key"] for item in result["ResultParameters"]["ResultParameter"]]
    assert keys == [
        "DebitAccountBalance",
        "Amount",
        "TransCompletedTime",
        "OriginalTransactionID",
        "Charge",
        "CreditPartyPublicName",
        "DebitPartyPublicName",
    ]
    read = parse_reversal_result(json.dumps({"Result": result}).encode())
    assert (read.original_transaction_id, read.amount) == (receipt, 150)
    assert read.transaction_id is not None and read.transaction_id != receipt
    assert float(before) - float(await working(daraja)) == 150


async def test_a_second_reversal_of_a_receipt_is_already_reversed_and_moves_nothing(daraja: Daraja) -> None:
    receipt = await paid_receipt(daraja)
    await reverse(daraja, receipt)
    before = await working(daraja)

    again = await reverse(daraja, receipt)

    assert (again["ResultCode"], again["TransactionID"]) == ("R000001", "SKE0000000")
    assert "ResultParameters" not in again
    assert await working(daraja) == before


@pytest.mark.parametrize("amount", [150, 149])
async def test_a_receipt_never_paid_or_another_amount_is_an_invalid_original(daraja: Daraja, amount: int) -> None:
    receipt = await paid_receipt(daraja, amount=150)
    unknown = "SKC82PACB8" if amount == 150 else receipt

    result = await reverse(daraja, unknown, amount=amount)

    assert (result["ResultCode"], result["ResultDesc"]) == ("R000002", "The OriginalTransactionID is invalid.")


async def test_an_account_that_cannot_cover_the_reversal_gives_code_1(daraja: Daraja) -> None:
    receipt = await paid_receipt(daraja)
    await daraja.http.post("/simulator/balances", json={"Working Account": "100.00"})

    result = await reverse(daraja, receipt)

    assert result["ResultCode"] == 1
    assert await working(daraja) == "100.00"


async def test_wrong_credentials_give_2001(daraja: Daraja) -> None:
    receipt = await paid_receipt(daraja)

    result = await reverse(daraja, receipt, SecurityCredential=await daraja.credential("wrong password"))

    assert result["ResultCode"] == 2001


async def test_the_identifier_type_under_its_correct_spelling_is_refused(daraja: Daraja) -> None:
    receipt = await paid_receipt(daraja)
    body = await reversal_body(daraja, daraja.callback_path(), receipt)
    body["ReceiverIdentifierType"] = body.pop("RecieverIdentifierType")

    refused = await daraja.post(REVERSAL_PATH, body)

    assert refused.status_code == 400
    assert refused.json()["errorMessage"] == "Bad Request - Invalid RecieverIdentifierType"


async def status_of(daraja: Daraja, originator_conversation_id: str) -> dict[str, Any]:
    path = daraja.callback_path()
    body = {
        "Initiator": daraja.config.initiator_name,
        "SecurityCredential": await daraja.credential(),
        "CommandID": "TransactionStatusQuery",
        "OriginalConversationID": originator_conversation_id,
        "PartyA": "174379",
        "IdentifierType": "4",
        "ResultURL": daraja.receiver_url + path,
        "QueueTimeOutURL": daraja.receiver_url + path + "/timeout",
        "Remarks": "Reversal status",
    }
    assert (await daraja.post("/mpesa/transactionstatus/v1/query", body)).status_code == 200
    [envelope] = await daraja.receiver.wait_for(path)
    items = envelope["Result"]["ResultParameters"]["ResultParameter"]
    return {item["Key"]: item.get("Value") for item in items}


async def test_a_lost_result_leaves_transaction_status_to_report_the_reversal_completed(daraja: Daraja) -> None:
    receipt = await paid_receipt(daraja, amount=9101)
    path = daraja.callback_path()
    accepted = await daraja.post(REVERSAL_PATH, await reversal_body(daraja, path, receipt, amount=9101))
    await daraja.quiet()

    status = await status_of(daraja, accepted.json()["OriginatorConversationID"])

    assert daraja.receiver.bodies[path] == []
    assert (status["TransactionStatus"], status["Amount"]) == ("Completed", 9101)
    assert status["ReceiptNo"] not in ("", receipt)


async def test_a_queue_time_out_reverses_nothing_and_status_reports_it_expired(daraja: Daraja) -> None:
    receipt = await paid_receipt(daraja, amount=9408)
    path = daraja.callback_path()
    before = await working(daraja)
    accepted = await daraja.post(REVERSAL_PATH, await reversal_body(daraja, path, receipt, amount=9408))
    [notice] = await daraja.receiver.wait_for(path + "/timeout")

    status = await status_of(daraja, accepted.json()["OriginatorConversationID"])

    assert notice["Result"]["ResultCode"] == 1
    assert status["TransactionStatus"] == "Expired"
    assert await working(daraja) == before


async def c2b_paid(daraja: Daraja, amount: int = 70, scenario: str = "normal") -> str:
    """A C2B payment the simulator made to shortcode 600984, by its TransID."""
    paid = await daraja.http.post(
        "/simulator/c2b/pay", json={"account": "INV-1", "amount": amount, "shortcode": "600984", "scenario": scenario}
    )
    assert paid.status_code == 200 and paid.json()["outcome"] == "completed", paid.text
    return str(paid.json()["trans_id"])


async def c2b_payment(daraja: Daraja, trans_id: str) -> dict[str, Any]:
    payments = (await daraja.http.get("/simulator/c2b/payments")).json()["payments"]
    return dict(next(p for p in payments if p["trans_id"] == trans_id))


async def test_a_c2b_payment_is_reversed_once_and_its_money_leaves_the_shortcode(daraja: Daraja) -> None:
    _, confirmation = await register_c2b_urls(daraja)
    trans_id = await c2b_paid(daraja, amount=70)
    before = await working(daraja)

    result = await reverse(daraja, trans_id, amount=70)
    again = await reverse(daraja, trans_id, amount=70)
    await c2b_paid(daraja, amount=10)

    assert result["ResultCode"] == 0
    read = parse_reversal_result(json.dumps({"Result": result}).encode())
    assert (read.original_transaction_id, read.amount) == (trans_id, 70)
    assert (again["ResultCode"], again["TransactionID"]) == ("R000001", "SKE0000000")
    assert (await c2b_payment(daraja, trans_id))["reversed"] is True
    assert await working(daraja) == before  # a C2B payment went to its shortcode's account, not the Working Account
    confirmations = await daraja.receiver.wait_for(confirmation, count=2)
    assert [c["OrgAccountBalance"] for c in confirmations] == ["70.00", "10.00"]
    stats = (await daraja.http.get("/simulator/stats")).json()
    assert stats["reversal_requests"]["per_receipt"][trans_id] == 2


async def test_a_c2b_payment_asked_with_another_amount_is_an_invalid_original_and_stays_unreversed(
    daraja: Daraja,
) -> None:
    trans_id = await c2b_paid(daraja, amount=70)

    result = await reverse(daraja, trans_id, amount=71)

    assert result["ResultCode"] == "R000002"
    assert (await c2b_payment(daraja, trans_id))["reversed"] is False


async def test_a_duplicated_c2b_payments_reversal_has_its_result_posted_twice(daraja: Daraja) -> None:
    trans_id = await c2b_paid(daraja, scenario="duplicate_confirmation")
    path = daraja.callback_path()

    accepted = await daraja.post(REVERSAL_PATH, await reversal_body(daraja, path, trans_id, amount=70))

    assert accepted.status_code == 200
    first, second = await daraja.receiver.wait_for(path, count=2)
    assert first == second and first["Result"]["ResultCode"] == 0
