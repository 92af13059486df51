"""The edges of what the gateway reads from Daraja: forms nobody has published are never guessed at."""

import json

import pytest

from domain.shared.errors import ProviderOutcomeUnknownError, ProviderRejectedError, ValidationError
from entrypoints.http.daraja_b2c_body import parse_b2c_result
from entrypoints.http.daraja_callback_body import parse_stk_callback
from entrypoints.http.daraja_status_body import parse_transaction_status
from tests.unit.entrypoints.test_daraja_bodies import FakeDaraja, _http, _push_request, _stk_client

ACCEPTED = {"MerchantRequestID": "m-1", "CheckoutRequestID": "ws_CO_1"}


@pytest.mark.parametrize("amount", ["1,000", " 300", "300 ", "+300", "-5", "1e3", "3OO", "", "10.5", 10.5, True, [10],
                                    {"Amount": 10}, -5])  # fmt: skip
def test_an_amount_that_is_no_number_of_whole_shillings_refuses_the_body(amount: object) -> None:
    metadata = {"Item": [{"Name": "Amount", "Value": amount}]}
    stk = {"Body": {"stkCallback": {"MerchantRequestID": "m", "CheckoutRequestID": "c", "ResultCode": 0,
                                    "ResultDesc": "ok", "CallbackMetadata": metadata}}}  # fmt: skip
    b2c = {"Result": {"ResultCode": 0, "ResultDesc": "ok", "OriginatorConversationID": "o", "ConversationID": "c",
                      "ResultParameters": [{"Key": "TransactionAmount", "Value": amount}]}}  # fmt: skip
    status = {"Result": {"ResultCode": 0, "ResultDesc": "ok",
                         "ResultParameters": {"ResultParameter": [{"Key": "Amount", "Value": amount}]}}}  # fmt: skip

    for parse, body in ((parse_stk_callback, stk), (parse_b2c_result, b2c), (parse_transaction_status, status)):
        with pytest.raises(ValidationError):
            parse(json.dumps(body).encode())  # type: ignore[operator]


@pytest.mark.parametrize(("amount", "read"), [(300, 300), (300.0, 300), ("300", 300), ("300.00", 300), (None, None)])
def test_an_amount_is_read_from_a_number_or_a_numeric_string(amount: object, read: int | None) -> None:
    status = {"Result": {"ResultCode": 0, "ResultDesc": "ok",
                         "ResultParameters": {"ResultParameter": [{"Key": "Amount", "Value": amount}]}}}  # fmt: skip

    assert parse_transaction_status(json.dumps(status).encode()).amount == read


@pytest.mark.parametrize("code", ["0 ", " 0", "00", "0.0", 0.0, None, False, ""])
async def test_a_response_code_in_no_published_form_is_an_unknown_outcome_never_a_refusal(code: object) -> None:
    daraja = FakeDaraja(200, {**ACCEPTED, "ResponseCode": code})
    async with _http(daraja) as http:
        with pytest.raises(ProviderOutcomeUnknownError):
            await _stk_client(http).start_stk_push(_push_request())


@pytest.mark.parametrize("code", ["1", 1, "SFC_IC0003"])
async def test_a_response_code_that_is_plainly_another_code_is_a_refusal(code: object) -> None:
    daraja = FakeDaraja(200, {**ACCEPTED, "ResponseCode": code})
    async with _http(daraja) as http:
        with pytest.raises(ProviderRejectedError) as refused:
            await _stk_client(http).start_stk_push(_push_request())
    assert refused.value.provider_code == str(code)


async def test_an_accepted_push_without_its_checkout_id_is_an_unknown_outcome_not_a_refusal() -> None:
    daraja = FakeDaraja(200, {"MerchantRequestID": "m-1", "ResponseCode": "0"})
    async with _http(daraja) as http:
        with pytest.raises(ProviderOutcomeUnknownError):
            await _stk_client(http).start_stk_push(_push_request())
