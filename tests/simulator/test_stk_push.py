import re

import pytest

from tests.simulator.harness import PHONE, Daraja


async def test_an_accepted_push_answers_with_ids_in_darajas_formats(daraja: Daraja) -> None:
    response = await daraja.push(daraja.callback_path())

    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d{4,7}", body["MerchantRequestID"])
    assert re.fullmatch(r"ws_CO_\d{17}" + PHONE[3:], body["CheckoutRequestID"])
    assert body["ResponseCode"] == "0"
    assert body["ResponseDescription"] == body["CustomerMessage"] == "Success. Request accepted for processing"


async def test_numeric_strings_and_the_newer_2541_numbers_are_accepted(daraja: Daraja) -> None:
    response = await daraja.push(
        daraja.callback_path(), amount="15", PartyA="254110000001", PhoneNumber="254110000001", PartyB="174379"
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("BusinessShortCode", None),
        ("BusinessShortCode", "17437A"),
        ("Password", None),
        ("Timestamp", "2024070622485"),
        ("Timestamp", "20241399224852"),
        ("TransactionType", "CustomerPay"),
        ("Amount", None),
        ("Amount", 0),
        ("Amount", 10.5),
        ("Amount", "10.5"),
        ("Amount", True),
        ("PartyA", "0708374149"),
        ("PartyB", None),
        ("PhoneNumber", 255708374149),
        ("PhoneNumber", "+254708374149"),
        ("CallBackURL", None),
        ("CallBackURL", "ftp://127.0.0.1/cb"),
        ("CallBackURL", "http://127.0.0.1/cb/a b"),
        ("CallBackURL", "http://127.0.0.1/cb/ "),
        ("AccountReference", "ACCOUNT-12345"),
        ("AccountReference", None),
        ("TransactionDesc", "fourteen chars"),
    ],
)
async def test_each_malformed_field_is_refused_with_bad_request_invalid_field(
    daraja: Daraja, field: str, value: object
) -> None:
    body = daraja.stk_request(daraja.callback_path())
    if value is None:
        del body[field]
    else:
        body[field] = value

    response = await daraja.post("/mpesa/stkpush/v1/processrequest", body)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "400.002.02"
    assert response.json()["errorMessage"] == f"Bad Request - Invalid {field}"


@pytest.mark.parametrize("word", ["mpesa", "M-PESA", "Safaricom", "exe", "EXEC", "cmd", "sql", "query"])
async def test_callback_urls_with_words_daraja_forbids_are_refused(daraja: Daraja, word: str) -> None:
    response = await daraja.push(daraja.callback_path(), CallBackURL=f"{daraja.receiver_url}/pay/{word}/1")

    assert response.status_code == 400
    assert response.json()["errorMessage"] == "Bad Request - Invalid CallBackURL"


async def test_a_till_push_may_leave_out_the_account_reference(daraja: Daraja) -> None:
    body = daraja.stk_request(daraja.callback_path(), TransactionType="CustomerBuyGoodsOnline", PartyB=5_123_456)
    del body["AccountReference"]
    del body["TransactionDesc"]

    response = await daraja.post("/mpesa/stkpush/v1/processrequest", body)

    assert response.status_code == 200


async def test_a_body_that_is_not_json_is_an_invalid_request_payload(daraja: Daraja) -> None:
    response = await daraja.http.post(
        "/mpesa/stkpush/v1/processrequest",
        content=b"{not json",
        headers={"Authorization": f"Bearer {await daraja.token()}", "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "400.002.05"


async def test_a_push_without_the_json_content_type_is_read_as_an_invalid_shortcode(daraja: Daraja) -> None:
    response = await daraja.http.post(
        "/mpesa/stkpush/v1/processrequest",
        content=b"{}",
        headers={"Authorization": f"Bearer {await daraja.token()}", "Content-Type": "text/plain"},
    )

    assert response.status_code == 400
    assert response.json()["errorMessage"] == "Bad Request - Invalid BusinessShortCode"


async def test_push_with_wrong_password_is_refused_as_daraja_does(daraja: Daraja) -> None:
    response = await daraja.push(daraja.callback_path(), Timestamp="20240706224853")  # password made for ...52

    assert response.status_code == 500
    assert response.json()["errorCode"] == "500.001.1001"
    assert response.json()["errorMessage"] == "Wrong credentials"


async def test_a_shortcode_the_passkey_does_not_belong_to_is_a_merchant_that_does_not_exist(daraja: Daraja) -> None:
    response = await daraja.push(daraja.callback_path(), BusinessShortCode=600000)

    assert response.status_code == 500
    assert response.json()["errorMessage"] == "Merchant does not exist"


async def test_a_push_with_a_token_never_issued_is_an_invalid_access_token(daraja: Daraja) -> None:
    response = await daraja.post("/mpesa/stkpush/v1/processrequest", daraja.stk_request("/cb/x"), token="forged")

    assert response.status_code == 404
    assert response.json() == {
        "requestId": response.json()["requestId"],
        "errorCode": "404.001.03",
        "errorMessage": "Invalid Access Token",
    }


async def test_a_second_push_to_a_phone_with_a_pending_prompt_cannot_lock_the_subscriber(daraja: Daraja) -> None:
    first_path = daraja.callback_path()
    first = await daraja.push(first_path)
    second = await daraja.push(daraja.callback_path())
    await daraja.receiver.wait_for(first_path)
    after_the_first_settled = await daraja.push(daraja.callback_path())

    assert first.status_code == 200
    assert second.status_code == 500
    assert second.json()["errorCode"] == "500.001.1001"
    assert second.json()["errorMessage"] == (
        "Unable to lock subscriber, a transaction is already in process for the current subscriber"
    )
    assert after_the_first_settled.status_code == 200


async def test_every_push_received_is_counted_in_total_and_per_phone(daraja: Daraja) -> None:
    await daraja.push(daraja.callback_path())
    await daraja.push(daraja.callback_path(), PhoneNumber=254700000001, PartyA=254700000001)
    await daraja.push(daraja.callback_path(), amount=0, PhoneNumber=254700000001)

    counters = (await daraja.stats())["stk_push_requests"]

    assert counters == {"total": 3, "per_phone": {PHONE: 1, "254700000001": 2}}


async def test_unknown_paths_and_methods_answer_in_darajas_error_shape(daraja: Daraja) -> None:
    missing = await daraja.http.post("/mpesa/nothing/v1/here", json={})
    wrong_method = await daraja.http.get("/mpesa/stkpush/v1/processrequest")

    assert (missing.status_code, missing.json()["errorCode"]) == (404, "404.001.01")
    assert (wrong_method.status_code, wrong_method.json()["errorCode"]) == (405, "405.001")
