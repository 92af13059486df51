from typing import Any

from tests.simulator.harness import Daraja

QUERY_PATH = "/mpesa/transactionstatus/v1/query"


async def _status_query(daraja: Daraja, result_path: str, **fields: object) -> dict[str, Any]:
    body: dict[str, object] = {
        "Initiator": daraja.config.initiator_name,
        "SecurityCredential": await daraja.credential(),
        "CommandID": "TransactionStatusQuery",
        "PartyA": 600996,
        "IdentifierType": "4",
        "ResultURL": daraja.receiver_url + result_path,
        "QueueTimeOutURL": daraja.receiver_url + result_path + "/timeout",
        "Remarks": "Reconcile",
        "Occasion": "payout-check",
    }
    body.update(fields)
    return body


def _parameters(envelope: dict[str, Any]) -> dict[str, Any]:
    return {item["Key"]: item.get("Value") for item in envelope["Result"]["ResultParameters"]["ResultParameter"]}


async def test_a_status_query_for_a_paid_payout_reports_it_completed_with_its_ids(daraja: Daraja) -> None:
    payout_path, status_path = daraja.callback_path(), daraja.callback_path()
    payout = await daraja.b2c_request(payout_path, amount=75)
    conversation_id = (await daraja.pay_out(payout)).json()["ConversationID"]
    [paid] = await daraja.receiver.wait_for(payout_path)

    query = await daraja.post(
        QUERY_PATH, await _status_query(daraja, status_path, OriginalConversationID=payout["OriginatorConversationID"])
    )
    [envelope] = await daraja.receiver.wait_for(status_path)

    assert query.status_code == 200
    assert query.json()["ResponseCode"] == "0"
    result = envelope["Result"]
    assert result["ResultCode"] == 0
    assert result["OriginatorConversationID"] == query.json()["OriginatorConversationID"]
    assert result["ConversationID"] == query.json()["ConversationID"]
    assert result["ReferenceData"]["ReferenceItem"] == {"Key": "Occasion", "Value": "payout-check"}
    parameters = _parameters(envelope)
    assert parameters["TransactionStatus"] == "Completed"
    assert parameters["ReceiptNo"] == paid["Result"]["TransactionID"]
    assert parameters["Amount"] == "75"  # Safaricom's sample has "300": a string, as are the times
    assert parameters["OriginatorConversationID"] == payout["OriginatorConversationID"]
    assert parameters["ConversationID"] == conversation_id
    assert parameters["CreditPartyName"].startswith("254705912645 - ")
    assert parameters["FinalisedTime"].isdigit() and len(parameters["FinalisedTime"]) == 14
    assert parameters["InitiatedTime"].isdigit() and len(parameters["InitiatedTime"]) == 14


async def test_a_status_query_by_receipt_finds_the_same_payout(daraja: Daraja) -> None:
    payout_path, status_path = daraja.callback_path(), daraja.callback_path()
    await daraja.pay_out(await daraja.b2c_request(payout_path))
    [paid] = await daraja.receiver.wait_for(payout_path)
    receipt = paid["Result"]["TransactionID"]

    await daraja.post(QUERY_PATH, await _status_query(daraja, status_path, TransactionID=receipt))
    [envelope] = await daraja.receiver.wait_for(status_path)

    assert _parameters(envelope)["ReceiptNo"] == receipt


async def test_a_status_query_by_both_receipt_and_conversation_id_finds_the_payout(daraja: Daraja) -> None:
    payout_path, status_path = daraja.callback_path(), daraja.callback_path()
    payout = await daraja.b2c_request(payout_path)
    await daraja.pay_out(payout)
    [paid] = await daraja.receiver.wait_for(payout_path)
    receipt = paid["Result"]["TransactionID"]
    both = {"TransactionID": receipt, "OriginalConversationID": payout["OriginatorConversationID"]}

    query = await daraja.post(QUERY_PATH, await _status_query(daraja, status_path, **both))
    [envelope] = await daraja.receiver.wait_for(status_path)

    assert query.status_code == 200
    found = _parameters(envelope)
    assert (found["ReceiptNo"], found["OriginatorConversationID"]) == (receipt, payout["OriginatorConversationID"])


async def test_a_payout_that_timed_out_in_the_queue_is_reported_not_completed(daraja: Daraja) -> None:
    payout_path, status_path = daraja.callback_path(), daraja.callback_path()
    payout = await daraja.b2c_request(payout_path, amount=9408)
    await daraja.pay_out(payout)
    await daraja.receiver.wait_for(payout_path + "/timeout")

    await daraja.post(
        QUERY_PATH, await _status_query(daraja, status_path, OriginalConversationID=payout["OriginatorConversationID"])
    )
    [envelope] = await daraja.receiver.wait_for(status_path)

    assert _parameters(envelope)["TransactionStatus"] == "Expired"


async def test_a_status_query_for_an_unknown_payout_says_it_could_not_be_found(daraja: Daraja) -> None:
    status_path = daraja.callback_path()

    await daraja.post(QUERY_PATH, await _status_query(daraja, status_path, OriginalConversationID="never-sent"))
    [envelope] = await daraja.receiver.wait_for(status_path)

    assert envelope["Result"]["ResultCode"] != 0
    assert envelope["Result"]["ResultDesc"] == "The transaction could not be found"
    assert "ResultParameters" not in envelope["Result"]


async def test_a_status_query_with_a_wrong_credential_fails_with_2001(daraja: Daraja) -> None:
    status_path = daraja.callback_path()
    body = await _status_query(daraja, status_path, TransactionID="SG632NMUAB")
    body["SecurityCredential"] = await daraja.credential("wrong")

    await daraja.post(QUERY_PATH, body)
    [envelope] = await daraja.receiver.wait_for(status_path)

    assert envelope["Result"]["ResultCode"] == 2001


async def test_a_status_query_naming_no_transaction_is_refused(daraja: Daraja) -> None:
    response = await daraja.post(QUERY_PATH, await _status_query(daraja, daraja.callback_path()))

    assert response.status_code == 400
    assert response.json()["errorMessage"] == "Bad Request - Invalid TransactionID"
