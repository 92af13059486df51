"""M-PESA Express: STK push and STK push query (docs/daraja.md#stk-push, #stk-push-query)."""

import asyncio
import hmac
from datetime import timedelta
from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from daraja_simulator import envelopes
from daraja_simulator import request_rules as rules
from daraja_simulator.callbacks import Post
from daraja_simulator.clock import eat_now
from daraja_simulator.errors import (
    internal_server_error,
    invalid_field,
    invalid_stk_token,
    merchant_does_not_exist,
    still_processing,
    subscriber_locked,
    wrong_credentials,
)
from daraja_simulator.identifiers import checkout_request_id, receipt_number, request_id
from daraja_simulator.ledger import StkTransaction
from daraja_simulator.scenarios import Answer, Delivery, stk_scenario
from daraja_simulator.state import SimulatorState

TRANSACTION_TYPES = frozenset({"CustomerPayBillOnline", "CustomerBuyGoodsOnline"})


@post("/mpesa/stkpush/v1/processrequest", status_code=200)
async def stk_push(
    request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]
) -> Response[dict[str, object]]:
    config, ledger = simulator.config, simulator.ledger
    body = await _authorised_json(request, simulator)
    phone_sent = body.get("PhoneNumber")
    ledger.count_stk_push(str(phone_sent) if isinstance(phone_sent, int | str) else None)

    business_shortcode = rules.shortcode(body, "BusinessShortCode")
    password = _password(body)
    timestamp = rules.timestamp(body)
    transaction_type = rules.one_of(body, "TransactionType", TRANSACTION_TYPES)
    amount = rules.whole_amount(body)
    rules.msisdn(body, "PartyA")
    rules.shortcode(body, "PartyB")
    phone = rules.msisdn(body, "PhoneNumber")
    callback_url = rules.url(body, "CallBackURL", forbid_words=True)
    # Required for paybills; tills may leave it out (docs/daraja.md#stk-push-request).
    if transaction_type == "CustomerPayBillOnline" or "AccountReference" in body:
        rules.text(body, "AccountReference", max_length=12)
    rules.optional_text(body, "TransactionDesc", max_length=13)  # the one optional field

    _check_password(business_shortcode, password, timestamp, simulator)
    if ledger.phone_is_locked(phone):
        raise subscriber_locked()
    scenario = stk_scenario(amount)
    if scenario.answer is Answer.SERVER_ERROR:
        raise internal_server_error()

    moment = eat_now()
    checkout = checkout_request_id(phone, moment)
    while ledger.has_checkout(checkout):  # two pushes in one millisecond after a reset
        moment += timedelta(milliseconds=1)
        checkout = checkout_request_id(phone, moment)
    transaction = StkTransaction(request_id(), checkout, phone, amount, scenario)
    ledger.record_stk(transaction)

    def settle() -> list[Post]:
        settled_at = eat_now()
        receipt = receipt_number(settled_at)
        ledger.settle_stk(transaction.checkout_request_id, receipt)
        body = envelopes.stk_callback(transaction, receipt, settled_at, simulator.forms.pick())
        callback = Post.json(callback_url, body)
        return {Delivery.NEVER: [], Delivery.TWICE: [callback, callback]}.get(scenario.delivery, [callback])

    slow = scenario.answer is Answer.SLOW
    # Scheduled before the slow answer, so the outcome arrives even if the caller gives up waiting.
    simulator.sender.schedule(config.callback_delay + (config.slow_seconds if slow else 0.0), settle)
    if slow:
        await asyncio.sleep(config.slow_seconds)
    return Response(envelopes.stk_accepted(transaction, simulator.forms.pick()), status_code=200)


@post("/mpesa/stkpushquery/v1/query", status_code=200)
async def stk_query(
    request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]
) -> Response[dict[str, object]]:
    body = await _authorised_json(request, simulator)
    business_shortcode = rules.shortcode(body, "BusinessShortCode")
    password = _password(body)
    timestamp = rules.timestamp(body)
    checkout = rules.text(body, "CheckoutRequestID", max_length=64)
    _check_password(business_shortcode, password, timestamp, simulator)
    transaction = simulator.ledger.stk(checkout)
    forms = simulator.forms.pick()
    if transaction is None:
        raise invalid_field("CheckoutRequestID")
    if not transaction.settled:
        raise still_processing(checkout, pascal_case=forms.pending_keys == "pascal")
    return Response(envelopes.stk_query_final(transaction, forms), status_code=200)


async def _authorised_json(request: Request[Any, Any, Any], simulator: SimulatorState) -> dict[str, object]:
    _, valid = simulator.token_from(request.headers.get("authorization"))
    if not valid:
        raise invalid_stk_token()
    # Without the JSON content type Daraja cannot read the body and names its first field
    # (docs/daraja.md#missing-content-type).
    if not (request.headers.get("content-type") or "").lower().startswith("application/json"):
        raise invalid_field("BusinessShortCode")
    return rules.json_object(await request.body())


def _password(body: dict[str, object]) -> str:
    value = body.get("Password")
    if not isinstance(value, str) or not value:
        raise invalid_field("Password")
    return value


def _check_password(business_shortcode: str, password: str, timestamp: str, simulator: SimulatorState) -> None:
    config = simulator.config
    if business_shortcode != config.shortcode:
        raise merchant_does_not_exist()
    expected = rules.stk_password(config.shortcode, config.passkey, timestamp)
    if not hmac.compare_digest(password.encode(), expected.encode()):
        raise wrong_credentials()
