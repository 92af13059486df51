"""The simulator writes its bodies in every form seen in the wild (docs/daraja.md): Safaricom's own by default,
any of them when asked, and a seeded mix with SIM_BODY_FORMS=varied."""

from typing import Any

import httpx

from daraja_simulator.body_forms import DIMENSIONS, BodyFormPicker
from tests.simulator.harness import Daraja

STATUS_PATH = "/mpesa/transactionstatus/v1/query"


async def _forms(daraja: Daraja, **forms: object) -> httpx.Response:
    return await daraja.http.post("/simulator/body-forms", json=forms)


async def _paid_result(daraja: Daraja, amount: int = 10) -> dict[str, Any]:
    path = daraja.callback_path()
    await daraja.pay_out(await daraja.b2c_request(path, amount=amount))
    [envelope] = await daraja.receiver.wait_for(path)
    return envelope["Result"]


async def test_by_default_every_body_takes_the_form_safaricom_publishes(daraja: Daraja) -> None:
    shown = (await daraja.http.get("/simulator/body-forms")).json()

    assert shown == {name: [forms[0]] for name, forms in DIMENSIONS.items()}
    assert (await daraja.push(daraja.callback_path())).json()["ResponseCode"] == "0"


async def test_response_codes_can_be_the_number_zero(daraja: Daraja) -> None:
    await _forms(daraja, response_code="number")

    pushed = (await daraja.push(daraja.callback_path())).json()
    payout = await daraja.pay_out(await daraja.b2c_request(daraja.callback_path()))

    assert pushed["ResponseCode"] == 0
    assert payout.json()["ResponseCode"] == 0


async def test_the_still_processing_query_answer_can_have_pascal_case_keys(daraja: Daraja) -> None:
    await _forms(daraja, pending_keys="pascal")
    checkout = (await daraja.push(daraja.callback_path())).json()["CheckoutRequestID"]

    pending = await daraja.query(checkout)

    assert pending.status_code == 500
    assert pending.json() == {
        "RequestID": checkout,
        "ErrorCode": "500.001.1001",
        "ErrorMessage": "The transaction is being processed",
    }


async def test_stk_amounts_can_be_decimals_and_the_balance_item_left_out(daraja: Daraja) -> None:
    await _forms(daraja, amount="decimal", balance_item="absent")
    path = daraja.callback_path()
    await daraja.push(path, amount=25)

    [envelope] = await daraja.receiver.wait_for(path)

    items = {item["Name"]: item.get("Value") for item in envelope["Body"]["stkCallback"]["CallbackMetadata"]["Item"]}
    assert "Balance" not in items
    assert isinstance(items["Amount"], float) and items["Amount"] == 25


async def test_b2c_result_parameters_can_be_a_bare_list_or_a_single_object(daraja: Daraja) -> None:
    await _forms(daraja, b2c_parameters="bare_list")
    bare = await _paid_result(daraja)
    await _forms(daraja, b2c_parameters="single_object")
    single = await _paid_result(daraja)

    assert isinstance(bare["ResultParameters"], list)
    assert {"Key": "TransactionAmount", "Value": 10} in bare["ResultParameters"]
    assert single["ResultParameters"] == {"ResultParameter": {"Key": "TransactionAmount", "Value": 10}}
    assert single["TransactionID"]


async def test_transaction_status_values_can_be_numbers(daraja: Daraja) -> None:
    await _forms(daraja, status_values="number")
    payout = await daraja.b2c_request(daraja.callback_path(), amount=75)
    await daraja.pay_out(payout)
    status_path = daraja.callback_path()
    await daraja.quiet()

    await daraja.post(STATUS_PATH, {
        "Initiator": daraja.config.initiator_name, "SecurityCredential": await daraja.credential(),
        "CommandID": "TransactionStatusQuery", "OriginalConversationID": payout["OriginatorConversationID"],
        "PartyA": 600996, "IdentifierType": "4", "ResultURL": daraja.receiver_url + status_path,
        "QueueTimeOutURL": daraja.receiver_url + status_path + "/timeout", "Remarks": "Reconcile",
    })  # fmt: skip
    [envelope] = await daraja.receiver.wait_for(status_path)

    parameters = {item["Key"]: item.get("Value") for item in envelope["Result"]["ResultParameters"]["ResultParameter"]}
    assert parameters["Amount"] == 75
    assert isinstance(parameters["InitiatedTime"], int) and isinstance(parameters["FinalisedTime"], int)


async def test_expires_in_can_be_a_number(daraja: Daraja) -> None:
    await _forms(daraja, expires_in="number")

    token = await daraja.http.get(
        "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(daraja.config.consumer_key, daraja.config.consumer_secret),
    )

    assert token.json()["expires_in"] == 3599


async def test_an_unknown_dimension_or_form_is_refused_and_a_reset_restores_the_defaults(daraja: Daraja) -> None:
    assert (await _forms(daraja, colour="blue")).status_code == 400
    assert (await _forms(daraja, amount="roman")).status_code == 400
    assert (await _forms(daraja, amount=[])).status_code == 400
    await _forms(daraja, amount=["integer", "decimal"])

    await daraja.http.post("/simulator/reset")

    assert (await daraja.http.get("/simulator/body-forms")).json()["amount"] == ["integer"]


def test_varied_forms_draw_every_form_from_the_seed_and_the_seed_replays_them() -> None:
    first, again = BodyFormPicker(varied=True, seed=21), BodyFormPicker(varied=True, seed=21)

    drawn = [first.pick() for _ in range(200)]

    assert drawn == [again.pick() for _ in range(200)]
    for name, forms in DIMENSIONS.items():
        seen = {getattr(body, name) for body in drawn}
        assert seen == set(forms) - {"single_object"}  # the lossy form is only ever sent on request
