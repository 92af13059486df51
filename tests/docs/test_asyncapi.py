"""docs/asyncapi.json is generated from the schemas the server validates with, and it is checked against them."""

import ast
import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from domain.b2c.result_codes import WithdrawalStatus
from domain.events.topics import b2c_topic, stk_topic
from domain.shared.error_codes import ERROR_CATALOGUE, ErrorCode
from domain.shared.errors import ProviderRejectedError, ValidationError
from domain.shared.resume_cursor import BEGINNING, CaughtUp, ResumeCursor
from domain.stk.result_codes import PaymentStatus
from entrypoints.protocol import asyncapi, messages
from entrypoints.protocol.errors import UnknownKindError, error_reply, internal_error, ok_reply
from entrypoints.ws import drain, resume_point, session, socket_guard
from tests.support.factories import PaymentFactory, WithdrawalFactory

ROOT = Path(__file__).parents[2]
COMMITTED = ROOT / "docs" / "asyncapi.json"
LISTENERS = ROOT / "src" / "entrypoints" / "ws"
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi.asyncapi_document()


def test_the_committed_document_is_a_fresh_generation() -> None:
    assert COMMITTED.read_text() == asyncapi.render(), (
        "docs/asyncapi.json is stale: run `python -m entrypoints.protocol.asyncapi docs/asyncapi.json`"
    )


def test_it_is_an_asyncapi_3_document_of_every_endpoint(document: dict[str, Any]) -> None:
    assert document["asyncapi"].startswith("3.")
    assert {channel["address"] for channel in document["channels"].values()} == {
        "/mpesa/stk/{hash}",
        "/mpesa/b2c/{hash}",
        "/mpesa/c2b/{hash}",
    }
    # Every reference points at something the document defines.
    text = json.dumps(document)
    for reference in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node: Any = document
        for part in reference.split("/"):
            node = node[part]


def test_every_error_code_is_documented_with_its_meaning(document: dict[str, Any]) -> None:
    documented = {row["const"]: row["description"] for row in document["components"]["schemas"]["ErrorCode"]["oneOf"]}

    assert documented == {code.value: ERROR_CATALOGUE[code] for code in ErrorCode}
    committed = COMMITTED.read_text()
    for code in ErrorCode:
        assert f'"{code.value}"' in committed, code


def test_every_close_code_the_sockets_use_is_documented_on_both_channels(document: dict[str, Any]) -> None:
    used = {
        session.CLOSE_NORMAL,
        session.CLOSE_UNSUPPORTED_DATA,
        drain.CLOSE_GOING_AWAY,
        resume_point.CLOSE_POLICY_VIOLATION,
        asyncapi.CLOSE_MESSAGE_TOO_BIG,
        socket_guard.CLOSE_TRY_AGAIN_LATER,
    }
    documented = {int(code) for code in re.findall(r"`(1\d{3})`", PROTOCOL.split("Close codes:")[1].split("\n\n")[0])}

    assert used == documented == {1000, 1001, 1003, 1008, 1009, 1013}
    for channel in document["channels"].values():
        assert {row["code"] for row in channel["x-close-codes"]} == used
        for code in used:
            assert f"| {code} |" in channel["description"]


def _without_notes(schema: dict[str, Any]) -> dict[str, Any]:
    properties = {
        name: {k: v for k, v in field.items() if k != "description"} for name, field in schema["properties"].items()
    }
    return {**schema, "properties": properties}


@pytest.mark.parametrize("struct", [messages.PushPayload, messages.StatusPayload, messages.WithdrawPayload])
def test_request_payloads_are_the_structs_the_server_converts_with(
    document: dict[str, Any], struct: type[msgspec.Struct]
) -> None:
    _, server = msgspec.json.schema_components([struct], ref_template="#/components/schemas/{name}")
    documented = document["components"]["schemas"][struct.__name__]

    assert _without_notes(documented) == server[struct.__name__]
    # The domain's rules are written down for every field.
    assert set(asyncapi.FIELD_NOTES[struct.__name__]) == set(struct.__struct_fields__)
    assert all(field["description"] for field in documented["properties"].values())


def _listener_kinds(module: str) -> dict[str, str]:
    """kind → the payload Struct its handler converts with, read from the listener's source: the kinds its
    requests class serves (`kinds = frozenset({...})`), each answered by the method of that name."""
    tree = ast.parse((LISTENERS / module).read_text())
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef)}
    declared = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "kinds" for target in node.targets)
    )
    assert isinstance(declared, ast.Call) and isinstance(declared.args[0], ast.Set)
    kinds: dict[str, str] = {}
    for key in declared.args[0].elts:
        assert isinstance(key, ast.Constant) and isinstance(key.value, str)
        converts = [
            node.args[1].id
            for node in ast.walk(functions[key.value])
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "convert"
            and isinstance(node.args[1], ast.Name)
        ]
        kinds[key.value] = converts[0]
    return kinds


@pytest.mark.parametrize(
    ("module", "kinds", "channel"),
    [("stk.py", asyncapi.STK_KINDS, "stk"), ("b2c.py", asyncapi.B2C_KINDS, "b2c")],
)
def test_each_endpoint_documents_the_kinds_its_listener_serves(
    document: dict[str, Any], module: str, kinds: dict[str, type[msgspec.Struct]], channel: str
) -> None:
    assert _listener_kinds(module) == {kind: struct.__name__ for kind, struct in kinds.items()}
    for kind, struct in kinds.items():
        request = document["components"]["schemas"][
            document["components"]["messages"][_message_of(document, channel, kind)]["title"]
        ]
        assert request["properties"]["kind"] == {"enum": [kind]}
        assert request["properties"]["payload"] == {"$ref": f"#/components/schemas/{struct.__name__}"}
        assert document["operations"][kind]["action"] == "receive"


def _message_of(document: dict[str, Any], channel: str, name: str) -> str:
    return str(document["channels"][channel]["messages"][name]["$ref"].rsplit("/", 1)[1])


def _payments() -> list[dict[str, Any]]:
    settled = PaymentFactory.build(
        status=PaymentStatus.SUCCESS,
        result_code="0",
        result_desc="The service request is processed successfully.",
        receipt="UAB1234XYZ",
        transaction_date="20250314090102",
    )
    cancelled = PaymentFactory.build(status=PaymentStatus.CANCELLED, result_code="1032", result_desc="cancelled")
    lost = PaymentFactory.build(checkout=None, merchant_request=None, outcome_unknown=True)
    return [PaymentFactory.build().view(), settled.view(), cancelled.view(), lost.view()]


def _withdrawals() -> list[dict[str, Any]]:
    paid = WithdrawalFactory.build(
        status=WithdrawalStatus.SUCCESS,
        conversation_id="AG_20250314_0000",
        result_code="0",
        result_desc="The service request is processed successfully.",
        receipt="UAB1234XYZ",
        recipient_name="254712345678 - JANE WANJIKU",
        completed_at="14.03.2025 09:01:02",
    )
    timed_out = WithdrawalFactory.build(status=WithdrawalStatus.TIMEOUT, result_code="1", result_desc="timed out")
    return [WithdrawalFactory.build().view(), paid.view(), timed_out.view()]


def _json(frame: dict[str, Any]) -> Any:
    return msgspec.json.decode(msgspec.json.encode(frame))


def test_replies_and_updates_are_what_the_server_builds() -> None:
    payment, withdrawal = _payments()[1], _withdrawals()[1]
    refusals = [
        ValidationError("amount", "must be a whole number of shillings (a JSON integer)"),
        ProviderRejectedError("500.001.1001", "Unable to lock subscriber"),
        UnknownKindError("kind must be one of: push, status", [{"field": "kind"}]),
        internal_error(),
    ]
    given_up = ValidationError("phone", "must be a Kenyan M-PESA number")
    given_up.details.append({"payment": payment})

    msgspec.convert(_json(ok_reply("push", "r-1", payment)), asyncapi.PushReply)
    msgspec.convert(_json(ok_reply("status", None, payment)), asyncapi.StatusReply)
    msgspec.convert(_json(ok_reply("withdraw", "r-2", withdrawal)), asyncapi.WithdrawReply)
    for kind in ("push", "status", "error"):
        for refusal in [*refusals, given_up]:
            msgspec.convert(_json(error_reply(kind, "r-3", refusal)), asyncapi.StkErrorReply)
    for kind in ("withdraw", "error"):
        for refusal in refusals:
            msgspec.convert(_json(error_reply(kind, None, refusal)), asyncapi.B2cErrorReply)
    # The frame the socket and the broadcaster send for a change.
    msgspec.convert(_json({"kind": "update", "topic": stk_topic("user123"), "data": payment}), asyncapi.PaymentUpdate)
    msgspec.convert(
        _json({"kind": "update", "topic": b2c_topic("user456"), "data": withdrawal}), asyncapi.WithdrawalUpdate
    )
    # The frame the socket sends once its catch-up is done.
    for caught_up in (CaughtUp(ResumeCursor(1_741_942_807_250, payment["id"]), 3, True), CaughtUp(BEGINNING, 0, False)):
        msgspec.convert(_json(session.caught_up_message(stk_topic("user123"), caught_up)), asyncapi.PaymentsCaughtUp)
        msgspec.convert(_json(session.caught_up_message(b2c_topic("user456"), caught_up)), asyncapi.WithdrawalsCaughtUp)


def test_request_envelopes_accept_what_the_server_accepts() -> None:
    push = {"kind": "push", "payload": {"phone": "0712345678", "amount": 100, "description": "x"}, "ref": "a"}
    document = messages.decode_document(json.dumps(push))
    messages.read_envelope(document, frozenset({"push"}))

    msgspec.convert(document, asyncapi.PushRequest)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**document, "extra": 1}, asyncapi.PushRequest)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**document, "ref": "r" * (messages.MAXIMUM_REF_LENGTH + 1)}, asyncapi.PushRequest)


# The views themselves, in every state of their records: tests/docs/test_client_views.py.


def test_the_c2b_socket_refuses_as_the_document_says() -> None:
    refused = error_reply("error", None, UnknownKindError("this socket only listens", [{"field": "kind"}]))
    msgspec.convert(_json(refused), asyncapi.C2bErrorReply)
