"""The simulator's C2B scenarios, seen by a receiver registered as the gateway would be."""

import uuid

from tests.simulator.harness import Daraja


async def _register(daraja: Daraja, response_type: str = "Completed") -> tuple[str, str]:
    secret = uuid.uuid4().hex
    validation, confirmation = f"/c2b/validation/{secret}", f"/c2b/confirmation/{secret}"
    answer = await daraja.post(
        "/mpesa/c2b/v2/registerurl",
        {
            "ShortCode": "600984",
            "ResponseType": response_type,
            "ConfirmationURL": daraja.receiver_url + confirmation,
            "ValidationURL": daraja.receiver_url + validation,
        },
    )
    assert answer.json()["ResponseCode"] == "0"
    return validation, confirmation


async def _pay(daraja: Daraja, scenario: str, response_type: str = "Completed") -> tuple[dict[str, object], str]:
    _, confirmation = await _register(daraja, response_type)
    paid = await daraja.http.post("/simulator/c2b/pay", json={"account": "INV-1", "amount": 70, "scenario": scenario})
    assert paid.status_code == 200
    return paid.json(), confirmation


async def test_duplicate_confirmation_posts_the_same_receipt_twice(daraja: Daraja) -> None:
    paid, confirmation = await _pay(daraja, "duplicate_confirmation")

    bodies = await daraja.receiver.wait_for(confirmation, 2)

    assert [b["TransID"] for b in bodies] == [paid["trans_id"]] * 2


async def test_lost_confirmation_moves_the_money_but_posts_nothing(daraja: Daraja) -> None:
    paid, confirmation = await _pay(daraja, "confirmation_lost")

    assert paid["outcome"] == "completed"
    assert paid["confirmations_sent"] == 0
    assert daraja.receiver.bodies[confirmation] == []


async def test_validation_timeout_with_cancelled_cancels_the_payment(daraja: Daraja) -> None:
    paid, confirmation = await _pay(daraja, "validation_timeout", response_type="Cancelled")

    assert (paid["outcome"], paid["validation"]) == ("cancelled", "timed_out")
    assert daraja.receiver.bodies[confirmation] == []


async def test_validation_timeout_with_completed_still_confirms(daraja: Daraja) -> None:
    paid, confirmation = await _pay(daraja, "validation_timeout")

    [body] = await daraja.receiver.wait_for(confirmation)

    assert body["TransID"] == paid["trans_id"]


async def test_wrong_account_carries_the_mistyped_account_number(daraja: Daraja) -> None:
    paid, confirmation = await _pay(daraja, "wrong_account")

    [body] = await daraja.receiver.wait_for(confirmation)

    assert body["BillRefNumber"] == "INV-19"
    assert paid["bill_reference"] == "INV-19"


async def test_an_unknown_scenario_is_refused(daraja: Daraja) -> None:
    answer = await daraja.http.post("/simulator/c2b/pay", json={"account": "A", "amount": 1, "scenario": "nope"})

    assert answer.status_code == 400
