"""What the sockets send of each record is what the AsyncAPI document says, field for field.

The payloads' one declaration is the domain's view TypedDicts (`PaymentView` next to `Payment`, and so on), from
which `entrypoints.protocol.views` generates Structs and docs/asyncapi.json its schemas. Here real domain objects
are taken through their states, as the use cases take them, and every view and update frame they give is checked
against the generated document's schemas (closed objects: no field the schema lacks, none it requires missing).
Every field the schema declares must also turn up in some state. Then the bytes of one payment's, one withdrawal's
and one C2B request's update frame are pinned as they are sent today.
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from adapters.broadcast.channels_broadcaster import ChannelsBroadcaster
from domain.b2c.withdrawal import B2cAccepted, B2cResult, Withdrawal
from domain.c2b.account_reference import AccountReference
from domain.c2b.confirmation import C2bPayment, C2bTransaction, PaymentMatch
from domain.c2b.payer import Payer
from domain.c2b.payment_request import AmountRule, PaymentRequest
from domain.c2b.topic import c2b_topic
from domain.events.topics import b2c_topic, stk_topic
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.merchant_data import B2C_REFERENCE_LENGTH, STK_REFERENCE_LENGTH, MerchantReference, Metadata
from domain.shared.phone import Phone
from domain.stk.payment import Payment, StkPushAccepted, StkResult
from domain.stk.query import StkQueryAnswer
from entrypoints.protocol import asyncapi, views

NOW = datetime(2025, 3, 14, 9, 0, 0, 250_000, tzinfo=UTC)
LATER = NOW + timedelta(seconds=42)
SUBJECT = "a1b2c3d4" * 4


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi.asyncapi_document()


# ---- A small validator of exactly the JSON Schema the generator writes (an unknown keyword is an error, so none
# ---- is skipped unseen).

_IGNORED = {"title", "description", "examples"}
_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
    "object": dict,
    "array": list,
}


def _problems(value: Any, schema: Mapping[str, Any], components: Mapping[str, Any], at: str) -> list[str]:
    found: list[str] = []
    for keyword, rule in schema.items():
        if keyword in _IGNORED:
            continue
        if keyword == "$ref":
            found += _problems(value, components[rule.rsplit("/", 1)[1]], components, at)
        elif keyword == "anyOf":
            if all(_problems(value, option, components, at) for option in rule):
                found.append(f"{at}: {value!r} matches none of {rule}")
        elif keyword == "oneOf":
            if sum(not _problems(value, option, components, at) for option in rule) != 1:
                found.append(f"{at}: {value!r} matches not exactly one of its options")
        elif keyword == "type":
            kinds = rule if isinstance(rule, list) else [rule]
            is_bool = isinstance(value, bool)
            if not any(isinstance(value, _TYPES[k]) and (k == "boolean" or not is_bool) for k in kinds):
                found.append(f"{at}: {value!r} is not {rule}")
        elif keyword == "enum":
            if value not in rule:
                found.append(f"{at}: {value!r} not in {rule}")
        elif keyword == "const":
            if value != rule:
                found.append(f"{at}: {value!r} is not {rule!r}")
        elif keyword == "pattern":
            if isinstance(value, str) and re.search(rule, value) is None:
                found.append(f"{at}: {value!r} does not match {rule}")
        elif keyword == "format":
            assert rule == "date-time", rule
            if isinstance(value, str):
                try:
                    datetime.fromisoformat(value)
                except ValueError:
                    found.append(f"{at}: {value!r} is not a date-time")
        elif keyword == "minimum":
            if isinstance(value, int | float) and value < rule:
                found.append(f"{at}: {value!r} < {rule}")
        elif keyword == "maxLength":
            if isinstance(value, str) and len(value) > rule:
                found.append(f"{at}: {value!r} is longer than {rule}")
        elif keyword == "required":
            if isinstance(value, dict):
                found += [f"{at}: no {name!r}" for name in rule if name not in value]
        elif keyword == "properties":
            if isinstance(value, dict):
                for name, field in value.items():
                    if name in rule:
                        found += _problems(field, rule[name], components, f"{at}.{name}")
        elif keyword == "additionalProperties":
            if isinstance(value, dict):
                declared = schema.get("properties", {})
                extra = [name for name in value if name not in declared]
                if rule is False:
                    found += [f"{at}: {name!r} is not in the schema" for name in extra]
                else:
                    for name in extra:
                        found += _problems(value[name], rule, components, f"{at}.{name}")
        elif keyword == "items":
            if isinstance(value, list):
                for index, item in enumerate(value):
                    found += _problems(item, rule, components, f"{at}[{index}]")
        else:
            raise AssertionError(f"the validator does not know {keyword!r}: teach it")
    return found


def _assert_valid(value: Any, schema_name: str, document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    wire = msgspec.json.decode(msgspec.json.encode(value))  # as a client reads it
    problems = _problems(wire, components[schema_name], components, schema_name)
    assert not problems, "\n".join(problems)


def _payload_of(document: dict[str, Any], channel: str, message: str) -> str:
    """The schema the generated document names as the payload of `message` on `channel`."""
    name = document["channels"][channel]["messages"][message]["$ref"].rsplit("/", 1)[1]
    return str(document["components"]["messages"][name]["payload"]["$ref"].rsplit("/", 1)[1])


# ---- Records in each state, taken there by the domain's own steps.


def _payment(n: int, *, merchant: bool = False) -> Payment:
    return Payment.start(
        payment_id=f"pay{n:021d}",
        subject=SUBJECT,
        phone=Phone.parse("0712345678"),
        amount=Amount.parse(150),
        description=Description.parse("Order 42"),
        callback_token=f"token-{n}",
        now=NOW,
        reference=MerchantReference.parse("INV-42", STK_REFERENCE_LENGTH) if merchant else None,
        metadata=Metadata.parse({"order": 42, "note": "gift", "vip": True, "none": None}) if merchant else None,
    )


def _accepted(n: int, *, merchant: bool = False) -> Payment:
    payment = _payment(n, merchant=merchant)
    payment.accept(StkPushAccepted(f"29115-{n}-1", f"ws_CO_{n:024d}"), NOW)
    return payment


def _stk_result(payment: Payment, code: str, description: str) -> StkResult:
    assert payment.checkout is not None and payment.merchant_request is not None
    if code != "0":
        return StkResult(payment.merchant_request, payment.checkout, code, description)
    return StkResult(
        payment.merchant_request,
        payment.checkout,
        code,
        description,
        receipt="UAB1234XYZ",
        amount=payment.amount.shillings,
        phone=payment.phone.msisdn,
        transaction_date="20250314120215",
    )


def _payment_views() -> list[dict[str, Any]]:
    started, accepted, lost, refused = _payment(1), _accepted(2, merchant=True), _payment(3), _payment(4)
    lost.mark_outcome_unknown(LATER)
    refused.reject("500.001.1001", "Unable to lock subscriber", LATER)
    paid, cancelled, queried, reversed_ = _accepted(5, merchant=True), _accepted(6), _accepted(7), _accepted(8)
    paid.settle(_stk_result(paid, "0", "The service request is processed successfully."), LATER)
    cancelled.settle(_stk_result(cancelled, "1032", "Request cancelled by user"), LATER)
    assert queried.checkout is not None
    queried.settle_from_query(StkQueryAnswer(queried.checkout, queried.merchant_request, "0", "processed"), LATER)
    reversed_.settle(_stk_result(reversed_, "0", "The service request is processed successfully."), LATER)
    reversed_.mark_reversed("rev000000000000000000001", LATER)
    records = [started, accepted, lost, refused, paid, cancelled, queried, reversed_]
    # A socket's catch-up reads pending payments as of now: with their age, and an unanswered push as unknown.
    caught_up = [started.view_as_of(LATER), accepted.view_as_of(LATER), started.view_as_of(NOW + timedelta(hours=1))]
    return [record.view() for record in records] + caught_up


def _withdrawal(n: int, *, merchant: bool = False) -> Withdrawal:
    return Withdrawal.start(
        withdrawal_id=f"wd{n:022d}",
        subject=SUBJECT,
        phone=Phone.parse("0712345678"),
        amount=Amount.parse(500),
        description=Description.parse("Withdrawal request"),
        originator_conversation_id=f"oc-{n}",
        callback_token=f"token-{n}",
        now=NOW,
        reference=MerchantReference.parse("PAYOUT-7", B2C_REFERENCE_LENGTH) if merchant else None,
        metadata=Metadata.parse({"payout": 7}) if merchant else None,
    )


def _sending(n: int, *, merchant: bool = False) -> Withdrawal:
    withdrawal = _withdrawal(n, merchant=merchant)
    withdrawal.lease_owner, withdrawal.lease_expires_at = "worker-1", NOW + timedelta(minutes=1)
    withdrawal.begin_submission(NOW)
    return withdrawal


def _submitted(n: int, *, merchant: bool = False) -> Withdrawal:
    withdrawal = _sending(n, merchant=merchant)
    withdrawal.mark_submitted(B2cAccepted(f"AG_{n}", withdrawal.originator_conversation_id), NOW)
    return withdrawal


def _b2c_result(withdrawal: Withdrawal, code: str, description: str, **paid: Any) -> B2cResult:
    assert withdrawal.conversation_id is not None
    return B2cResult(withdrawal.originator_conversation_id, withdrawal.conversation_id, code, description, **paid)


def _withdrawal_views() -> list[dict[str, Any]]:
    queued, sending, submitted = _withdrawal(1), _sending(2), _submitted(3, merchant=True)
    lost, refused = _sending(4), _sending(5)
    lost.mark_outcome_unknown(LATER)
    refused.reject("2001", "The initiator information is invalid.", LATER)
    paid, failed, timed_out, odd_date = _submitted(6, merchant=True), _submitted(7), _submitted(8), _submitted(9)
    paid.settle(
        _b2c_result(
            paid,
            "0",
            "The service request is processed successfully.",
            receipt="UAB1234XYZ",
            amount=500,
            recipient_name="254712345678 - JANE WANJIKU",
            completed_at="14.03.2025 09:01:02",
        ),
        LATER,
    )
    failed.settle(_b2c_result(failed, "2040", "The receiver is not registered."), LATER)
    timed_out.time_out(_b2c_result(timed_out, "1", "The request timed out in the queue."), LATER)
    odd_date.settle(
        _b2c_result(odd_date, "0", "processed", receipt="UAB1234XZZ", amount=500, completed_at="sometime"), LATER
    )
    records = [queued, sending, submitted, lost, refused, paid, failed, timed_out, odd_date]
    return [record.view() for record in records]


def _transaction(trans_id: str, amount: int, reference: str) -> C2bTransaction:
    return C2bTransaction(trans_id, amount, "600984", reference, Payer("2547 ***** 126"), "20250314122653")


def _c2b_views() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def request(n: int, reference: str, rule: AmountRule, amount: int | None) -> PaymentRequest:
        expires = NOW + timedelta(hours=1)
        return PaymentRequest.create(f"r-{n}", SUBJECT, AccountReference.parse(reference), rule, amount, expires, NOW)

    opened, paid, part_paid, overpaid = (request(n, f"INV-{n}", AmountRule.EXACT, 150) for n in range(1, 5))
    at_least, anything, expired = (
        request(5, "INV-5", AmountRule.MINIMUM, 100),
        request(6, "TIP", AmountRule.OPEN, None),
        request(7, "INV-7", AmountRule.EXACT, 150),
    )
    paid.apply(_transaction("TLK4C2B0002", 150, "inv-2"), LATER)
    part_paid.apply(_transaction("TLK4C2B0003", 100, "inv-3"), LATER)
    overpaid.apply(_transaction("TLK4C2B0004", 200, "inv-4"), LATER)
    at_least.apply(_transaction("TLK4C2B0005", 120, "inv-5"), LATER)
    anything.apply(_transaction("TLK4C2B0006", 30, "tip"), LATER)
    underpaid = request(8, "INV-8", AmountRule.EXACT, 150)
    underpaid.apply(_transaction("TLK4C2B0008", 50, "inv-8"), LATER)
    for closing in (expired, underpaid):
        closing.expire(NOW + timedelta(hours=2))
    # A reversal gives a payment back: the request is settled again from what is left (here: open again).
    settled_again = request(9, "INV-9", AmountRule.EXACT, 150)
    settled_again.apply(_transaction("TLK4C2B0010", 150, "inv-9"), LATER)
    settled_again.reverse("TLK4C2B0010", 150, LATER + timedelta(minutes=5))
    requests = [opened, paid, part_paid, overpaid, at_least, anything, expired, underpaid, settled_again]
    confirmed = _transaction("TLK4C2B0002", 150, "inv-2")
    reversed_payment = C2bPayment(
        _transaction("TLK4C2B0010", 150, "inv-9"), LATER, PaymentMatch.APPLIED, "r-9", SUBJECT
    )
    reversed_payment.mark_reversed("rev-1", LATER + timedelta(minutes=5))
    payments = [
        C2bPayment(confirmed, LATER, PaymentMatch.APPLIED, "r-2", SUBJECT),
        C2bPayment(_transaction("TLK4C2B0009", 150, "inv-7"), LATER, PaymentMatch.REQUEST_CLOSED, "r-7", SUBJECT),
        reversed_payment,
    ]
    return [r.view() for r in requests], [p.view() for p in payments]


_CASES = [
    ("stk", "update", stk_topic(SUBJECT), _payment_views, views.PaymentView),
    ("b2c", "update", b2c_topic(SUBJECT), _withdrawal_views, views.WithdrawalView),
    ("c2b", "requestUpdate", c2b_topic(SUBJECT), lambda: _c2b_views()[0], views.C2bRequestView),
    ("c2b", "paymentUpdate", c2b_topic(SUBJECT), lambda: _c2b_views()[1], views.C2bPaymentView),
]


@pytest.mark.parametrize(("channel", "message", "topic", "built", "struct"), _CASES)
def test_every_state_of_a_record_is_sent_as_the_document_says(
    document: dict[str, Any],
    channel: str,
    message: str,
    topic: str,
    built: Any,
    struct: type[msgspec.Struct],
) -> None:
    shown: list[dict[str, Any]] = built()
    frame_schema = _payload_of(document, channel, message)
    data_schema = document["components"]["schemas"][frame_schema]["properties"]["data"]["$ref"].rsplit("/", 1)[1]

    assert data_schema == struct.__name__  # the generated document's payload is the view's one declaration
    for view in shown:
        _assert_valid(view, data_schema, document)
        _assert_valid({"kind": "update", "topic": topic, "data": view}, frame_schema, document)
    # And the other way: no field declared that no state shows.
    declared = set(document["components"]["schemas"][data_schema]["properties"])
    assert set().union(*shown) == declared


def test_a_view_with_a_field_the_schema_lacks_fails(document: dict[str, Any]) -> None:
    view = _payment_views()[0]
    components = document["components"]["schemas"]

    assert _problems({**view, "surprise": 1}, components["PaymentView"], components, "PaymentView")
    del view["version"]
    assert _problems(view, components["PaymentView"], components, "PaymentView")


# ---- The bytes on the wire, as sent before the views had one declaration.


class _Channels:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def publish(self, data: bytes, channels: str) -> None:
        self.frames.append(data)


async def _sent(topic: str, view: dict[str, Any]) -> bytes:
    channels = _Channels()
    await ChannelsBroadcaster(channels).publish(topic, view)  # type: ignore[arg-type]
    [frame] = channels.frames
    return frame


PAYMENT_FRAME = (
    b'{"kind":"update","topic":"/mpesa/a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4","data":{"id":"pay000000000000000000005",'
    b'"checkout":"ws_CO_000000000000000000000005","merchant_request":"29115-5-1","status":"success",'
    b'"phone":"254712345678","amount":150,"description":"Order 42","created_at":"2025-03-14T09:00:00.250000+00:00",'
    b'"updated_at":"2025-03-14T09:00:42.250000+00:00","result_code":"0",'
    b'"result_desc":"The service request is processed successfully.","receipt":"UAB1234XYZ",'
    b'"transaction_date":"20250314120215","outcome_unknown":false,'
    b'"message":"Payment received.","reference":"INV-42",'
    b'"metadata":{"order":42,"note":"gift","vip":true,"none":null},"reversal_id":null,"version":0}}'
)


async def test_a_payment_update_is_sent_byte_for_byte_as_pinned() -> None:
    assert await _sent(stk_topic(SUBJECT), _payment_views()[4]) == PAYMENT_FRAME


WITHDRAWAL_FRAME = (
    b'{"kind":"update","topic":"/mpesa/b2c/a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4","data":{"id":"wd0000000000000000000006",'
    b'"status":"success","phone":"254712345678","amount":500,"description":"Withdrawal request",'
    b'"originator_conversation_id":"oc-6","conversation_id":"AG_6","created_at":"2025-03-14T09:00:00.250000+00:00",'
    b'"updated_at":"2025-03-14T09:00:42.250000+00:00","result_code":"0",'
    b'"result_desc":"The service request is processed successfully.","receipt":"UAB1234XYZ",'
    b'"recipient_name":"254712345678 - JANE WANJIKU","completed_at":"2025-03-14T06:01:02+00:00",'
    b'"outcome_unknown":false,"message":"The money was sent to the customer.","reference":"PAYOUT-7",'
    b'"metadata":{"payout":7},"version":0}}'
)


async def test_a_withdrawal_update_is_sent_byte_for_byte_as_pinned() -> None:
    assert await _sent(b2c_topic(SUBJECT), _withdrawal_views()[5]) == WITHDRAWAL_FRAME


C2B_REQUEST_FRAME = (
    b'{"kind":"update","topic":"/mpesa/c2b/a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4","data":{"id":"r-3","kind":"c2b_request",'
    b'"account_reference":"INV-3","amount_rule":"exact","amount":150,"received":100,"outstanding":50,"status":"open",'
    b'"expires_at":"2025-03-14T10:00:00.250000+00:00","created_at":"2025-03-14T09:00:00.250000+00:00",'
    b'"updated_at":"2025-03-14T09:00:42.250000+00:00","metadata":{},'
    b'"confirmations":[{"trans_id":"TLK4C2B0003","amount":100,"at":"2025-03-14T09:00:42.250000+00:00",'
    b'"reversed_at":null}],"version":0}}'
)


async def test_a_c2b_request_update_is_sent_byte_for_byte_as_pinned() -> None:
    assert await _sent(c2b_topic(SUBJECT), _c2b_views()[0][2]) == C2B_REQUEST_FRAME


# ---- docs/protocol.md describes each view in prose: it names every field the document declares.

PROTOCOL = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()


def _described(opening: str, closing: str) -> set[str]:
    text = PROTOCOL.split(opening, 1)[1].split(closing, 1)[0]
    return set(re.findall(r"`([a-z_]+)`", text))


@pytest.mark.parametrize(
    ("opening", "closing", "struct"),
    [
        ("A payment's `data`:", "A socket is never sent", views.PaymentView),
        ("A withdrawal's `data`:", "| status |", views.WithdrawalView),
        ("A request's `data`:", "A payment's\n`data`:", views.C2bRequestView),
        ("A payment's\n`data`:", "A payment to an account reference", views.C2bPaymentView),
    ],
)
def test_the_protocol_page_names_every_field_of_each_view(opening: str, closing: str, struct: Any) -> None:
    assert set(struct.__struct_fields__) <= _described(opening, closing)
