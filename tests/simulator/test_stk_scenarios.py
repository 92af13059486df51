import re

import pytest

from daraja_simulator.scenarios import SCENARIOS, Answer, Api, Delivery, stk_scenario
from domain.stk.result_codes import PaymentStatus, stk_result_meaning
from tests.simulator.harness import PHONE, Daraja

FAILURES = [row for row in SCENARIOS if row.api is Api.STK_PUSH and row.result_code not in (0, None)]


async def test_a_successful_payment_calls_back_with_the_exact_stk_envelope_and_metadata(daraja: Daraja) -> None:
    path = daraja.callback_path()
    accepted = (await daraja.push(path, amount=25)).json()

    [envelope] = await daraja.receiver.wait_for(path)

    callback = envelope["Body"]["stkCallback"]
    assert list(envelope) == ["Body"] and list(envelope["Body"]) == ["stkCallback"]
    assert callback["MerchantRequestID"] == accepted["MerchantRequestID"]
    assert callback["CheckoutRequestID"] == accepted["CheckoutRequestID"]
    assert callback["ResultCode"] == 0
    assert callback["ResultDesc"] == "The service request is processed successfully."
    items = {item["Name"]: item for item in callback["CallbackMetadata"]["Item"]}
    assert set(items) == {"Amount", "MpesaReceiptNumber", "Balance", "TransactionDate", "PhoneNumber"}
    assert items["Amount"]["Value"] == 25
    assert re.fullmatch(r"[A-Z0-9]{10}", items["MpesaReceiptNumber"]["Value"])
    assert "Value" not in items["Balance"]
    assert isinstance(items["TransactionDate"]["Value"], int)
    assert re.fullmatch(r"20\d{12}", str(items["TransactionDate"]["Value"]))
    assert items["PhoneNumber"]["Value"] == int(PHONE)


@pytest.mark.parametrize("scenario", FAILURES, ids=lambda row: row.name)
async def test_each_failure_amount_calls_back_its_result_code_without_metadata(daraja: Daraja, scenario) -> None:
    path = daraja.callback_path()
    await daraja.push(path, amount=scenario.amount)

    [envelope] = await daraja.receiver.wait_for(path)

    callback = envelope["Body"]["stkCallback"]
    assert callback["ResultCode"] == scenario.result_code
    assert callback["ResultDesc"] == scenario.result_desc
    assert "CallbackMetadata" not in callback


@pytest.mark.parametrize(
    ("amount", "status"),
    [
        (1032, PaymentStatus.CANCELLED),
        (1037, PaymentStatus.TIMEOUT),
        (1019, PaymentStatus.TIMEOUT),
        (9001, PaymentStatus.FAILED),
        (2001, PaymentStatus.FAILED),
        (1, PaymentStatus.SUCCESS),
    ],
)
def test_the_gateway_reads_each_scenarios_result_code_as_intended(amount: int, status: PaymentStatus) -> None:
    assert stk_result_meaning(str(stk_scenario(amount).result_code)).status is status


async def test_a_duplicated_callback_arrives_twice_with_the_identical_body(daraja: Daraja) -> None:
    path = daraja.callback_path()
    await daraja.push(path, amount=9200)

    await daraja.receiver.wait_for(path, count=2)
    await daraja.quiet()

    first, second = daraja.receiver.bodies[path]
    assert first == second
    assert (await daraja.stats())["callbacks"]["sent"] == 2


async def test_a_lost_callback_never_arrives_but_the_query_reports_the_payment(daraja: Daraja) -> None:
    path = daraja.callback_path()
    checkout = (await daraja.push(path, amount=9100)).json()["CheckoutRequestID"]

    await daraja.quiet()
    query = await daraja.query(checkout)

    assert daraja.receiver.bodies[path] == []
    assert query.status_code == 200
    assert query.json()["ResultCode"] == "0"


async def test_daraja_failing_answers_500_processes_nothing_and_locks_nobody(daraja: Daraja) -> None:
    path = daraja.callback_path()
    failed = await daraja.push(path, amount=9500)
    retried = await daraja.push(daraja.callback_path(), amount=1)
    await daraja.quiet()

    assert failed.status_code == 500
    assert set(failed.json()) == {"requestId", "errorCode", "errorMessage"}
    assert failed.json()["errorCode"] == "500.003.1001"
    assert failed.json()["errorMessage"] == "Internal Server Error"
    assert retried.status_code == 200
    assert daraja.receiver.bodies[path] == []
    assert (await daraja.stats())["stk_push_requests"]["total"] == 2


async def test_a_slow_daraja_still_accepts_and_then_calls_back_success(daraja: Daraja) -> None:
    assert stk_scenario(9300).answer is Answer.SLOW
    path = daraja.callback_path()

    accepted = await daraja.push(path, amount=9300)
    [envelope] = await daraja.receiver.wait_for(path)

    assert accepted.status_code == 200
    assert envelope["Body"]["stkCallback"]["CheckoutRequestID"] == accepted.json()["CheckoutRequestID"]
    assert envelope["Body"]["stkCallback"]["ResultCode"] == 0


async def test_a_query_while_the_prompt_is_open_says_the_transaction_is_being_processed(daraja: Daraja) -> None:
    path = daraja.callback_path()
    checkout = (await daraja.push(path, amount=1032)).json()["CheckoutRequestID"]

    pending = await daraja.query(checkout)
    await daraja.receiver.wait_for(path)
    final = await daraja.query(checkout)

    assert pending.status_code == 500
    assert pending.json() == {
        "requestId": checkout,
        "errorCode": "500.001.1001",
        "errorMessage": "The transaction is being processed",
    }
    assert final.status_code == 200
    assert final.json()["ResultCode"] == "1032"
    assert final.json()["ResponseCode"] == "0"
    assert final.json()["CheckoutRequestID"] == checkout
    assert "MpesaReceiptNumber" not in final.json()


async def test_a_query_for_an_unknown_checkout_or_with_a_wrong_password_is_refused(daraja: Daraja) -> None:
    unknown = await daraja.query("ws_CO_000000000000000000000000")
    checkout = (await daraja.push(daraja.callback_path())).json()["CheckoutRequestID"]
    wrong_password = await daraja.query(checkout, Password="d3Jvbmc=")

    assert unknown.status_code == 400
    assert unknown.json()["errorMessage"] == "Bad Request - Invalid CheckoutRequestID"
    assert wrong_password.status_code == 500
    assert wrong_password.json()["errorMessage"] == "Wrong credentials"


def test_every_stk_scenario_in_the_table_has_a_distinct_amount() -> None:
    amounts = [row.amount for row in SCENARIOS if row.api is Api.STK_PUSH]
    assert len(amounts) == len(set(amounts))
    assert stk_scenario(123).delivery is Delivery.ONCE
