"""B2C payment requests (v1 and v3) and the Transaction Status query that reconciles them
(docs/daraja.md#b2c-payment-request)."""

import asyncio
from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from daraja_simulator import envelopes
from daraja_simulator import request_rules as rules
from daraja_simulator.callbacks import Post
from daraja_simulator.clock import eat_now
from daraja_simulator.errors import (
    duplicate_originator_conversation_id,
    internal_server_error,
    invalid_b2c_token,
    invalid_field,
)
from daraja_simulator.identifiers import conversation_id, legacy_originator_conversation_id, receipt_number
from daraja_simulator.ledger import Payout
from daraja_simulator.request_rules import Body
from daraja_simulator.reversals import reversal_status_parameters
from daraja_simulator.scenarios import INVALID_INITIATOR, Answer, Delivery, b2c_scenario
from daraja_simulator.state import SimulatorState

B2C_COMMANDS = frozenset({"SalaryPayment", "BusinessPayment", "PromotionPayment"})
B2C_MINIMUM = 10
B2C_MAXIMUM = 250_000
IDENTIFIER_TYPES = frozenset({"1", "2", "4"})  # MSISDN, till, organisation shortcode


@post("/mpesa/b2c/v1/paymentrequest", status_code=200)
async def b2c_v1(
    request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]
) -> Response[dict[str, object]]:
    return await _payment_request(request, simulator, carries_originator_id=False)


@post("/mpesa/b2c/v3/paymentrequest", status_code=200)
async def b2c_v3(
    request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]
) -> Response[dict[str, object]]:
    return await _payment_request(request, simulator, carries_originator_id=True)


async def _payment_request(
    request: Request[Any, Any, Any], simulator: SimulatorState, carries_originator_id: bool
) -> Response[dict[str, object]]:
    config, ledger = simulator.config, simulator.ledger
    body = await _authorised_json(request, simulator)
    sent_id = body.get("OriginatorConversationID") if carries_originator_id else None
    # Counted before any rule, duplicates included: tests prove the gateway sent each payout exactly once.
    ledger.count_b2c_request(sent_id if isinstance(sent_id, str) and sent_id else None)
    if carries_originator_id:
        rules.text(body, "OriginatorConversationID", max_length=128)

    initiator = rules.text(body, "InitiatorName", max_length=100)
    credential = rules.text(body, "SecurityCredential", max_length=2048)
    command_id = rules.one_of(body, "CommandID", B2C_COMMANDS)
    amount = rules.whole_amount(body, minimum=B2C_MINIMUM, maximum=B2C_MAXIMUM)
    party_a = rules.shortcode(body, "PartyA")
    recipient = rules.msisdn(body, "PartyB")
    rules.text(body, "Remarks", max_length=100, min_length=2)
    queue_url = rules.url(body, "QueueTimeOutURL")
    result_url = rules.url(body, "ResultURL")
    _occasion(body, "Occassion", "Occasion")  # official spelling first; clients send both

    if isinstance(sent_id, str) and ledger.has_payout(sent_id):
        raise duplicate_originator_conversation_id()
    scenario = b2c_scenario(amount)
    if scenario.answer is Answer.SERVER_ERROR:
        raise internal_server_error()
    # Daraja checks the initiator only after accepting the request: a wrong one is a 2001 result, not an error.
    credentials_valid = initiator == config.initiator_name and simulator.credentials.credential_matches(
        credential, config.initiator_password
    )
    effective = scenario if credentials_valid else INVALID_INITIATOR

    moment = eat_now()
    originator_id = sent_id if isinstance(sent_id, str) else _fresh_legacy_id(simulator)
    if not carries_originator_id:
        ledger.attribute_b2c_request(originator_id)
    payout = Payout(
        originator_conversation_id=originator_id,
        conversation_id=conversation_id(moment),
        party_a=party_a,
        command_id=command_id,
        recipient=recipient,
        amount=amount,
        receipt=receipt_number(moment),
        initiated_at=moment,
        scenario=effective,
    )
    ledger.record_payout(payout)

    def settle() -> list[Post]:
        settled_at = eat_now()
        funds = ledger.settle_payout(payout, settled_at)
        if effective.delivery is Delivery.QUEUE_TIMEOUT:
            return [Post.json(queue_url, envelopes.b2c_queue_timeout(payout))]
        result = Post.json(result_url, envelopes.b2c_result(payout, funds, settled_at, simulator.forms.pick()))
        return {Delivery.NEVER: [], Delivery.TWICE: [result, result]}.get(effective.delivery, [result])

    slow = scenario.answer is Answer.SLOW
    # Scheduled before the slow answer, so the outcome arrives even if the caller gives up waiting.
    simulator.sender.schedule(config.callback_delay + (config.slow_seconds if slow else 0.0), settle)
    if slow:
        await asyncio.sleep(config.slow_seconds)
    accepted = envelopes.b2c_accepted(payout.conversation_id, originator_id, simulator.forms.pick())
    return Response(accepted, status_code=200)


@post("/mpesa/transactionstatus/v1/query", status_code=200)
async def transaction_status(
    request: Request[Any, Any, Any], simulator: NamedDependency[SimulatorState]
) -> Response[dict[str, object]]:
    config, ledger = simulator.config, simulator.ledger
    body = await _authorised_json(request, simulator)
    initiator = rules.text(body, "Initiator", max_length=100)
    credential = rules.text(body, "SecurityCredential", max_length=2048)
    rules.one_of(body, "CommandID", {"TransactionStatusQuery"})
    receipt = _optional_id(body, "TransactionID")
    original_id = _optional_id(body, "OriginalConversationID")
    if receipt is None and original_id is None:
        raise invalid_field("TransactionID")
    rules.digits(body, "PartyA", min_length=5, max_length=12)
    if rules.digits(body, "IdentifierType", max_length=1) not in IDENTIFIER_TYPES:
        raise invalid_field("IdentifierType")
    result_url = rules.url(body, "ResultURL")
    rules.url(body, "QueueTimeOutURL")
    rules.text(body, "Remarks", max_length=100)
    occasion = _occasion(body, "Occasion", "Occassion") or ""

    credentials_valid = initiator == config.initiator_name and simulator.credentials.credential_matches(
        credential, config.initiator_password
    )
    moment = eat_now()
    query_conversation_id = conversation_id(moment)
    query_originator_id = legacy_originator_conversation_id()
    query_transaction_id = receipt_number(moment)

    def settle() -> list[Post]:
        # Looked up when due, so a payout that settled meanwhile is reported as it stands then.
        payout = ledger.find_payout(original_id, receipt)
        reversal = ledger.find_reversal(original_id) if payout is None else None
        result = envelopes.transaction_status_result(
            originator_conversation_id=query_originator_id,
            conversation_id=query_conversation_id,
            transaction_id=query_transaction_id,
            occasion=occasion,
            payout=payout,
            credentials_valid=credentials_valid,
            forms=simulator.forms.pick(),
            found=None if reversal is None else reversal_status_parameters(reversal),
        )
        return [Post.json(result_url, result)]

    simulator.sender.schedule(config.callback_delay, settle)
    return Response(envelopes.b2c_accepted(query_conversation_id, query_originator_id), status_code=200)


async def _authorised_json(request: Request[Any, Any, Any], simulator: SimulatorState) -> Body:
    token, valid = simulator.token_from(request.headers.get("authorization"))
    if not valid:
        raise invalid_b2c_token(token)
    return rules.json_object(await request.body())


def _fresh_legacy_id(simulator: SimulatorState) -> str:
    while simulator.ledger.has_payout(candidate := legacy_originator_conversation_id()):
        pass
    return candidate


def _optional_id(body: Body, name: str) -> str | None:
    if body.get(name) in (None, ""):
        return None
    return rules.text(body, name, max_length=128)


def _occasion(body: Body, *names: str) -> str | None:
    for name in names:
        value = rules.optional_text(body, name, max_length=100)
        if value is not None:
            return value
    return None
