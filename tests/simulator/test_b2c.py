import re
import uuid

import pytest

from tests.simulator.harness import Daraja


async def test_an_accepted_v3_payout_echoes_its_id_and_posts_a_full_success_result(daraja: Daraja) -> None:
    path = daraja.callback_path()
    body = await daraja.b2c_request(path, amount=150)

    response = await daraja.pay_out(body)
    [envelope] = await daraja.receiver.wait_for(path)

    accepted = response.json()
    assert response.status_code == 200
    assert accepted["OriginatorConversationID"] == body["OriginatorConversationID"]
    assert re.fullmatch(r"AG_\d{8}_[0-9a-f]{20}", accepted["ConversationID"])
    assert accepted["ResponseCode"] == "0"
    assert accepted["ResponseDescription"] == "Accept the service request successfully."
    result = envelope["Result"]
    assert result["ResultType"] == 0 and result["ResultCode"] == 0
    assert result["OriginatorConversationID"] == body["OriginatorConversationID"]
    assert result["ConversationID"] == accepted["ConversationID"]
    parameters = {item["Key"]: item["Value"] for item in result["ResultParameters"]["ResultParameter"]}
    assert parameters["TransactionAmount"] == 150
    assert parameters["TransactionReceipt"] == result["TransactionID"]
    assert re.fullmatch(r"[A-Z0-9]{10}", parameters["TransactionReceipt"])
    assert re.fullmatch(r"254705912645 - [A-Z ]+", parameters["ReceiverPartyPublicName"])
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}", parameters["TransactionCompletedDateTime"])
    assert parameters["B2CRecipientIsRegisteredCustomer"] == "Y"
    for funds in ("B2CUtilityAccountAvailableFunds", "B2CWorkingAccountAvailableFunds"):
        assert isinstance(parameters[funds], float)
    assert parameters["B2CChargesPaidAccountAvailableFunds"] < 0
    assert set(result["ReferenceData"]["ReferenceItem"]) == {"Key", "Value"}


async def test_a_v1_payout_gets_an_originator_conversation_id_made_up_by_daraja(daraja: Daraja) -> None:
    path = daraja.callback_path()
    body = await daraja.b2c_request(path)
    del body["OriginatorConversationID"]

    accepted = (await daraja.pay_out(body, version="v1")).json()
    [envelope] = await daraja.receiver.wait_for(path)

    assert re.fullmatch(r"\d{5}-\d{8}-1", accepted["OriginatorConversationID"])
    assert envelope["Result"]["OriginatorConversationID"] == accepted["OriginatorConversationID"]
    assert (await daraja.stats())["b2c_payment_requests"]["per_originator_conversation_id"] == {
        accepted["OriginatorConversationID"]: 1
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"SecurityCredential": "not base64 at all"},
        {"InitiatorName": "someone-else"},
        {"SecurityCredential": "password"},
    ],
    ids=["undecryptable", "wrong initiator name", "wrong password"],
)
async def test_a_wrong_initiator_is_accepted_then_fails_with_2001(daraja: Daraja, overrides: dict[str, str]) -> None:
    path = daraja.callback_path()
    body = await daraja.b2c_request(path)
    if overrides.get("SecurityCredential") == "password":
        overrides = {"SecurityCredential": await daraja.credential("not-the-password")}
    body.update(overrides)

    response = await daraja.pay_out(body)
    [envelope] = await daraja.receiver.wait_for(path)

    assert response.status_code == 200
    assert envelope["Result"]["ResultCode"] == 2001
    assert envelope["Result"]["ResultDesc"] == "The initiator information is invalid."
    assert "ResultParameters" not in envelope["Result"]


async def test_a_reused_originator_conversation_id_is_refused_and_still_counted(daraja: Daraja) -> None:
    body = await daraja.b2c_request(daraja.callback_path())

    first = await daraja.pay_out(body)
    again = await daraja.pay_out(body)
    await daraja.quiet()

    assert first.status_code == 200
    assert again.status_code == 500
    assert again.json()["errorCode"] == "500.002.1001"
    assert again.json()["errorMessage"] == "Duplicate OriginatorConversationID"
    counters = (await daraja.stats())["b2c_payment_requests"]
    assert counters == {"total": 2, "per_originator_conversation_id": {body["OriginatorConversationID"]: 2}}
    assert (await daraja.stats())["callbacks"]["sent"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("OriginatorConversationID", None),
        ("InitiatorName", None),
        ("SecurityCredential", None),
        ("CommandID", "CustomerPayBillOnline"),
        ("Amount", 9),
        ("Amount", 250_001),
        ("Amount", 10.5),
        ("PartyA", "60099A"),
        ("PartyB", 254205912645),
        ("Remarks", "a"),
        ("Remarks", "r" * 101),
        ("QueueTimeOutURL", "not a url"),
        ("ResultURL", None),
        ("Occassion", "o" * 101),
    ],
)
async def test_each_malformed_payout_field_is_refused(daraja: Daraja, field: str, value: object) -> None:
    body = await daraja.b2c_request(daraja.callback_path())
    if value is None:
        del body[field]
    else:
        body[field] = value

    response = await daraja.pay_out(body)

    assert response.status_code == 400
    assert response.json()["errorMessage"] == f"Bad Request - Invalid {field}"


async def test_a_payout_with_an_invalid_token_is_refused_as_the_b2c_pages_document(daraja: Daraja) -> None:
    response = await daraja.post("/mpesa/b2c/v3/paymentrequest", {}, token="stale")

    assert response.status_code == 401
    assert response.json()["errorCode"] == "401.002.01"
    assert response.json()["errorMessage"] == "Error Occurred - Invalid Access Token - stale"


@pytest.mark.parametrize(
    ("amount", "code"),
    [(9001, 1), (9201, 2001), (9040, 2040)],
    ids=["insufficient balance", "invalid initiator", "receiver not registered"],
)
async def test_each_failure_amount_posts_its_result_code(daraja: Daraja, amount: int, code: int) -> None:
    path = daraja.callback_path()
    await daraja.pay_out(await daraja.b2c_request(path, amount=amount))

    [envelope] = await daraja.receiver.wait_for(path)

    assert envelope["Result"]["ResultCode"] == code
    assert envelope["Result"]["TransactionID"]


async def test_a_queue_time_out_is_posted_to_the_queue_time_out_url_only(daraja: Daraja) -> None:
    path = daraja.callback_path()
    body = await daraja.b2c_request(path, amount=9408)

    await daraja.pay_out(body)
    [envelope] = await daraja.receiver.wait_for(path + "/timeout")
    await daraja.quiet()

    assert daraja.receiver.bodies[path] == []
    assert envelope["Result"]["OriginatorConversationID"] == body["OriginatorConversationID"]
    assert envelope["Result"]["ResultCode"] == 1
    assert envelope["Result"]["ResultDesc"] == "The service request has timed out."


async def test_a_lost_result_is_never_posted(daraja: Daraja) -> None:
    path = daraja.callback_path()
    await daraja.pay_out(await daraja.b2c_request(path, amount=9100))

    await daraja.quiet()

    assert daraja.receiver.bodies[path] == []
    assert daraja.receiver.bodies[path + "/timeout"] == []


async def test_a_duplicated_result_is_posted_twice_identically(daraja: Daraja) -> None:
    path = daraja.callback_path()
    await daraja.pay_out(await daraja.b2c_request(path, amount=9200))

    await daraja.receiver.wait_for(path, count=2)
    await daraja.quiet()

    first, second = daraja.receiver.bodies[path]
    assert first == second


async def test_daraja_failing_a_payout_leaves_its_id_free_to_send_again(daraja: Daraja) -> None:
    path = daraja.callback_path()
    body = await daraja.b2c_request(path, amount=9500)

    failed = await daraja.pay_out(body)
    retried = await daraja.pay_out({**body, "Amount": 10})
    [envelope] = await daraja.receiver.wait_for(path)

    assert failed.status_code == 500
    assert failed.json()["errorCode"] == "500.003.1001"
    assert retried.status_code == 200
    assert envelope["Result"]["ResultCode"] == 0
    counters = (await daraja.stats())["b2c_payment_requests"]["per_originator_conversation_id"]
    assert counters == {body["OriginatorConversationID"]: 2}


async def test_a_slow_payout_is_answered_late_and_then_paid(daraja: Daraja) -> None:
    path = daraja.callback_path()

    accepted = await daraja.pay_out(await daraja.b2c_request(path, amount=9300))
    [envelope] = await daraja.receiver.wait_for(path)

    assert accepted.status_code == 200
    assert envelope["Result"]["ResultCode"] == 0


async def test_occasion_is_accepted_in_either_spelling(daraja: Daraja) -> None:
    body = await daraja.b2c_request(daraja.callback_path(), OriginatorConversationID=str(uuid.uuid4()))
    body["Occasion"] = body.pop("Occassion")

    assert (await daraja.pay_out(body)).status_code == 200
