"""The simulator's Account Balance query: Daraja's Result shape, balances that move with payouts, and the controls
that set them."""

from typing import Any

from domain.balances.account_balance import parse_balance_string
from entrypoints.http.daraja_balance_body import parse_balance_result
from tests.simulator.harness import Daraja

BALANCE_PATH = "/mpesa/accountbalance/v1/query"


async def _balance_query(daraja: Daraja, result_path: str, **fields: object) -> dict[str, Any]:
    body: dict[str, object] = {
        "Initiator": daraja.config.initiator_name,
        "SecurityCredential": await daraja.credential(),
        "CommandID": "AccountBalance",
        "PartyA": "600996",
        "IdentifierType": "4",
        "Remarks": "Balance check",
        "QueueTimeOutURL": daraja.receiver_url + result_path + "/queue",
        "ResultURL": daraja.receiver_url + result_path,
    }
    body.update(fields)
    return body


def _utility(envelope: dict[str, Any]) -> str:
    items = {item["Key"]: item["Value"] for item in envelope["Result"]["ResultParameters"]["ResultParameter"]}
    accounts = {account.name: account for account in parse_balance_string(items["AccountBalance"])}
    return str(accounts["Utility Account"].available)


async def test_a_balance_query_is_answered_in_safaricoms_shape(daraja: Daraja) -> None:
    path = daraja.callback_path()

    accepted = await daraja.post(BALANCE_PATH, await _balance_query(daraja, path))
    [envelope] = await daraja.receiver.wait_for(path)

    assert accepted.status_code == 200 and accepted.json()["ResponseCode"] == "0"
    result = envelope["Result"]
    assert (result["ResultType"], result["ResultCode"]) == ("0", "0")
    assert result["TransactionID"].endswith("0000000")
    keys = [item["Key"] for item in result["ResultParameters"]["ResultParameter"]]
    assert keys == ["AccountBalance", "BOCompletedTime"]
    assert _utility(envelope) == "10000000.00"


async def test_a_payout_lowers_the_utility_account_and_the_control_sets_it(daraja: Daraja) -> None:
    payout_path, first, second = daraja.callback_path(), daraja.callback_path(), daraja.callback_path()
    await daraja.pay_out(await daraja.b2c_request(payout_path, amount=75))
    await daraja.receiver.wait_for(payout_path)

    await daraja.post(BALANCE_PATH, await _balance_query(daraja, first))
    [after_payout] = await daraja.receiver.wait_for(first)
    set_low = await daraja.http.post("/simulator/balances", json={"Utility Account": "500.00"})
    await daraja.post(BALANCE_PATH, await _balance_query(daraja, second))
    [after_setting] = await daraja.receiver.wait_for(second)

    assert _utility(after_payout) == "9999925.00"
    assert set_low.status_code == 200 and set_low.json()["Utility Account"] == "500.00"
    assert _utility(after_setting) == "500.00"


async def test_a_bad_amount_for_the_control_is_refused_and_changes_nothing(daraja: Daraja) -> None:
    before = (await daraja.http.get("/simulator/balances")).json()

    refused = await daraja.http.post("/simulator/balances", json={"Utility Account": "12.345"})

    assert refused.status_code == 400
    assert (await daraja.http.get("/simulator/balances")).json() == before


async def test_wrong_credentials_give_a_2001_result_the_gateway_reads_as_a_failure(daraja: Daraja) -> None:
    path = daraja.callback_path()

    await daraja.post(BALANCE_PATH, await _balance_query(daraja, path, SecurityCredential=await daraja.credential("x")))
    [envelope] = await daraja.receiver.wait_for(path)
    read = parse_balance_result(daraja.receiver.bodies[path][0])

    assert envelope["Result"]["ResultCode"] == 2001
    assert isinstance(envelope["Result"]["ResultParameters"]["ResultParameter"], dict)
    assert read.result_code == "2001" and read.accounts == () and not read.succeeded


async def test_a_query_without_its_command_is_refused(daraja: Daraja) -> None:
    refused = await daraja.post(BALANCE_PATH, await _balance_query(daraja, daraja.callback_path(), CommandID="Nope"))

    assert refused.status_code == 400


async def test_a_payout_the_utility_account_cannot_cover_fails_with_result_code_1_and_moves_nothing(
    daraja: Daraja,
) -> None:
    await daraja.http.post("/simulator/balances", json={"Utility Account": "100.00"})
    covered_path, uncovered_path, balance_path = daraja.callback_path(), daraja.callback_path(), daraja.callback_path()
    # The first is covered (its fee is the Charges Paid Account's); 30 are left for the second.
    await daraja.pay_out(await daraja.b2c_request(covered_path, amount=70))
    [covered] = await daraja.receiver.wait_for(covered_path)
    accepted = await daraja.pay_out(await daraja.b2c_request(uncovered_path, amount=40))
    [uncovered] = await daraja.receiver.wait_for(uncovered_path)
    await daraja.post(BALANCE_PATH, await _balance_query(daraja, balance_path))
    [balance] = await daraja.receiver.wait_for(balance_path)

    assert covered["Result"]["ResultCode"] == 0
    assert accepted.status_code == 200
    assert (uncovered["Result"]["ResultCode"], uncovered["Result"]["ResultDesc"]) == (
        1,
        "The balance is insufficient for the transaction.",
    )
    assert _utility(balance) == "30.00"
