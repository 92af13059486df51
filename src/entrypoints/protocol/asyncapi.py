"""The AsyncAPI 3 document of the three WebSocket endpoints, generated from the schemas the server validates with.

Request payloads are the msgspec Structs of `entrypoints.protocol.messages` (the ones `convert` checks frames
against); the error codes are the `ErrorCode` catalogue; the close codes are the constants the socket code
closes with. The payment, withdrawal and C2B views are the Structs `entrypoints.protocol.views` generates from the
domain's view TypedDicts; the envelopes and replies are Structs here. tests/docs/test_asyncapi.py checks them
against what the server really builds (`ok_reply`, `error_reply`, `Payment.view()`, `Withdrawal.view()`,
`PaymentRequest.view()`, `C2bPayment.view()`) and the committed docs/asyncapi.json against a fresh generation.

    python -m entrypoints.protocol.asyncapi > docs/asyncapi.json
"""

import json
import sys
from importlib.metadata import version
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from domain.access.capability_token import V1_ACCEPTED_UNTIL
from domain.shared.amount import STK_MINIMUM, TRANSACTION_MAXIMUM
from domain.shared.description import MAXIMUM_LENGTH as DESCRIPTION_MAXIMUM
from domain.shared.error_codes import ERROR_CATALOGUE, ErrorCode
from domain.shared.merchant_data import (
    B2C_REFERENCE_LENGTH,
    METADATA_BYTES,
    METADATA_KEY_LENGTH,
    METADATA_KEYS,
    METADATA_VALUE_LENGTH,
    STK_REFERENCE_LENGTH,
)
from entrypoints.protocol.messages import MAXIMUM_REF_LENGTH, PushPayload, StatusPayload, WithdrawPayload
from entrypoints.protocol.views import C2bPaymentView, C2bRequestView, PaymentView, WithdrawalView
from entrypoints.protocol.views import note as _note
from entrypoints.settings import Settings
from entrypoints.ws.authorisation import EXPIRED_REASON
from entrypoints.ws.drain import CLOSE_GOING_AWAY
from entrypoints.ws.resume_point import AFTER_REFUSED, BOTH_REFUSED, CLOSE_POLICY_VIOLATION, SINCE_REFUSED
from entrypoints.ws.session import CLOSE_NORMAL, CLOSE_UNSUPPORTED_DATA
from entrypoints.ws.socket_guard import CLOSE_TRY_AGAIN_LATER

ASYNCAPI_VERSION = "3.0.0"
WS_BINDING_VERSION = "0.1.0"
# uvicorn closes the socket with this code itself when a message exceeds WS_MAX_MESSAGE_BYTES.
CLOSE_MESSAGE_TOO_BIG = 1009
_SCHEMAS = "#/components/schemas/{name}"

_DEFAULTS = Settings.model_fields
B2C_MIN_AMOUNT = _DEFAULTS["b2c_min_amount"].default
B2C_MAX_AMOUNT = _DEFAULTS["b2c_max_amount"].default
B2C_DAILY_LIMIT = _DEFAULTS["b2c_daily_limit"].default
STK_MAX_AMOUNT = _DEFAULTS["stk_max_amount"].default

# Every close code a client can see: (code, reason sent with it, when). test_asyncapi checks the codes are the
# constants the socket code closes with.
CLOSE_CODES: tuple[tuple[int, str, str], ...] = (
    (CLOSE_NORMAL, "idle timeout", "No frame from the client for WS_IDLE_TIMEOUT seconds (960 by default)."),
    (
        CLOSE_GOING_AWAY,
        "server shutting down",
        "The gateway is stopping (SIGTERM). Requests already in flight still finish; reconnect with `after` (the "
        "cursor of the last `caught_up`) or `since`.",
    ),
    (CLOSE_UNSUPPORTED_DATA, "only text JSON frames are accepted", "The client sent a binary frame."),
    (
        CLOSE_POLICY_VIOLATION,
        SINCE_REFUSED,
        "The `since` query parameter is not an ISO 8601 time; sent right after the handshake.",
    ),
    (
        CLOSE_POLICY_VIOLATION,
        AFTER_REFUSED,
        "The `after` query parameter is neither empty nor a cursor the gateway handed out; sent right after the "
        "handshake.",
    ),
    (CLOSE_POLICY_VIOLATION, BOTH_REFUSED, "The URL has both `after` and `since`; sent right after the handshake."),
    (
        CLOSE_POLICY_VIOLATION,
        "UNAUTHORIZED: …",
        "The hash is not a valid, unexpired capability token granting this endpoint's scope (stk, b2c or c2b), or is a "
        "plain hash where tokens are required (CLIENT_AUTH=signed; B2C without OPEN_WITHDRAWALS); sent right after "
        "the handshake. A browser upgrade from an Origin not allowed is refused with HTTP 403 instead.",
    ),
    (
        CLOSE_POLICY_VIOLATION,
        EXPIRED_REASON,
        "The socket's capability token expired while it was open: sent at the token's expiry, after which the socket "
        "gets nothing more. Reconnect with a fresh token (and `after` or `since`).",
    ),
    (
        CLOSE_TRY_AGAIN_LATER,
        "RATE_LIMITED: …; retry after N s",
        "Too many open sockets: in all (WS_MAX_SOCKETS), on this hash (WS_MAX_SOCKETS_PER_HASH) or from this address "
        "(WS_MAX_SOCKETS_PER_ADDRESS); sent right after the handshake. Reconnect after N seconds.",
    ),
    (
        CLOSE_MESSAGE_TOO_BIG,
        "",
        "A message larger than WS_MAX_MESSAGE_BYTES (16 MiB by default, measured after decompression).",
    ),
)

# The request payloads are the server's own Structs; what they cannot say (the domain's rules) is said here,
# one note for every field (test_asyncapi fails on a field without one).
_PHONE_RULE = (
    "A Safaricom number as a string (or a JSON integer): 07XXXXXXXX, 01XXXXXXXX, 7XXXXXXXX, 1XXXXXXXX, +2547…, "
    "2547…, 2541…; spaces are ignored. Stored as 2547XXXXXXXX or 2541XXXXXXXX."
)
_METADATA_RULE = (
    f"Optional: the merchant's own JSON object, stored and returned with the record, never sent to Daraja. At most "
    f"{METADATA_KEYS} keys of 1 to {METADATA_KEY_LENGTH} letters, digits, _ or - (not - first); values are strings "
    f"of at most {METADATA_VALUE_LENGTH} characters, numbers (integers within ±(2^53-1)), true, false or null (no "
    f"nested objects or arrays); at most {METADATA_BYTES} bytes as JSON. Anything else is VALIDATION_ERROR and "
    "nothing is stored."
)
FIELD_NOTES: dict[str, dict[str, str]] = {
    "PushPayload": {
        "phone": f"The customer who gets the PIN prompt. {_PHONE_RULE}",
        "amount": (
            f'Whole shillings, a JSON integer (100.0, "100" and true are refused), {STK_MINIMUM} to '
            f"STK_MAX_AMOUNT ({STK_MAX_AMOUNT} by default, at most {TRANSACTION_MAXIMUM}). In simulator mode the "
            "amount chooses the simulator's scenario."
        ),
        "description": (f"Trimmed, 1 to {DESCRIPTION_MAXIMUM} characters; Daraja's TransactionDesc gets the first 13."),
        "reference": (
            f"Optional: the merchant's reference, sent to Daraja as AccountReference (shown in the prompt). Trimmed, "
            f"1 to {STK_REFERENCE_LENGTH} characters: letters, digits, spaces and - _ . / (not first). Without one "
            "Daraja gets the first 12 characters of the payment id."
        ),
        "metadata": _METADATA_RULE,
    },
    "StatusPayload": {
        "checkout": (
            "Daraja's CheckoutRequestID (a push reply's `data.checkout`), or the gateway's payment `id`. Only "
            "payments of the socket's own hash are found."
        ),
    },
    "WithdrawPayload": {
        "phone": f"The customer paid out. {_PHONE_RULE}",
        "amount": (
            f"Whole shillings, a JSON integer, B2C_MIN_AMOUNT ({B2C_MIN_AMOUNT}) to B2C_MAX_AMOUNT "
            f"({B2C_MAX_AMOUNT}); a hash withdraws at most B2C_DAILY_LIMIT ({B2C_DAILY_LIMIT}) per Nairobi day. "
            "Outside these the reply is LIMIT_EXCEEDED and nothing is queued."
        ),
        "description": f"Trimmed, 2 to {DESCRIPTION_MAXIMUM} characters; sent to Daraja as Remarks.",
        "reference": (
            f"Optional: the merchant's reference, sent to Daraja as Occasion. Trimmed, 1 to {B2C_REFERENCE_LENGTH} "
            "characters: letters, digits, spaces and - _ . / (not first)."
        ),
        "metadata": _METADATA_RULE,
    },
}

Ref = Annotated[
    str,
    Meta(
        max_length=MAXIMUM_REF_LENGTH,
        description=(
            "Echoed in the reply so a client can match replies to requests. On `push` and `withdraw` it is also "
            "the idempotency key: the same `ref` on the same hash within 24 hours returns the original payment "
            "or withdrawal and never reaches Daraja again; with a different request it is IDEMPOTENCY_CONFLICT."
        ),
    ),
]
EchoedRef = Annotated[
    str | None,
    Meta(description="The request's `ref`, when it had a usable one (a string of at most 128 characters)."),
]


class ErrorBody(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[ErrorCode, _note("One code of the catalogue (domain/error_codes.py).")]
    message: Annotated[str, _note("A sentence for a developer; never a stack trace.")]
    details: Annotated[
        list[dict[str, Any]],
        _note(
            "Empty, or per code: VALIDATION_ERROR and UNKNOWN_KIND name the field ({field, message}); "
            "PROVIDER_ERROR carries Daraja's {provider_code, provider_message}; PROVIDER_UNAVAILABLE (and "
            "PROVIDER_ERROR on a push) carries {payment: PaymentView}, the stored payment."
        ),
    ]


# ---- Client → server envelopes: {kind, payload, ref}; no other field is allowed.


class PushRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Ask for an STK push: the customer gets a PIN prompt."""

    kind: Literal["push"]
    payload: PushPayload
    ref: Ref | None = None


class StatusRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Read a payment's stored state."""

    kind: Literal["status"]
    payload: StatusPayload
    ref: Ref | None = None


class WithdrawRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Pay a customer out (B2C). Queued at once; a worker sends it to Daraja."""

    kind: Literal["withdraw"]
    payload: WithdrawPayload
    ref: Ref | None = None


# ---- Server → client replies (one per request; requests are answered concurrently, match them by `ref`).


class PushReply(msgspec.Struct, forbid_unknown_fields=True):
    """The push was accepted: `data.checkout` is Daraja's CheckoutRequestID; updates follow."""

    kind: Literal["push"]
    ok: Literal[True]
    ref: EchoedRef
    data: PaymentView


class StatusReply(msgspec.Struct, forbid_unknown_fields=True):
    """The payment as stored now."""

    kind: Literal["status"]
    ok: Literal[True]
    ref: EchoedRef
    data: PaymentView


class WithdrawReply(msgspec.Struct, forbid_unknown_fields=True):
    """The withdrawal is queued; updates follow (submitted, then the result)."""

    kind: Literal["withdraw"]
    ok: Literal[True]
    ref: EchoedRef
    data: WithdrawalView


class StkErrorReply(msgspec.Struct, forbid_unknown_fields=True):
    """A request refused. `kind` is the request's, or "error" when the frame had no kind this endpoint serves
    (or was not a JSON object)."""

    kind: Literal["push", "status", "error"]
    ok: Literal[False]
    ref: EchoedRef
    error: ErrorBody


class B2cErrorReply(msgspec.Struct, forbid_unknown_fields=True):
    """A request refused. `kind` is the request's, or "error" when the frame had no kind this endpoint serves
    (or was not a JSON object)."""

    kind: Literal["withdraw", "error"]
    ok: Literal[False]
    ref: EchoedRef
    error: ErrorBody


class C2bErrorReply(msgspec.Struct, forbid_unknown_fields=True):
    """The C2B socket only listens: any frame a client sends is answered with this (UNKNOWN_KIND, or INVALID_JSON
    when it is not a JSON object)."""

    kind: Literal["error"]
    ok: Literal[False]
    ref: EchoedRef
    error: ErrorBody


# ---- Server → client updates, to every socket on the hash, whenever a record changes (however it was started).


class PaymentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A payment of the hash was created, accepted or settled; also sent on connecting (the catch-up) and again
    after a Redis outage (read from the store). Never older than what the socket was sent: the gateway drops a
    state whose `data.version` is not above the last it sent this socket of that record (it remembers the
    socket's 32 most recently updated records)."""

    kind: Literal["update"]
    topic: Annotated[str, Meta(pattern=r"^/mpesa/[^/]+$", description="/mpesa/{hash}")]
    data: PaymentView


class WithdrawalUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A withdrawal of the hash changed; also sent on connecting (the catch-up) and again after a Redis outage
    (read from the store). Never older than what the socket was sent: the gateway drops a state whose
    `data.version` is not above the last it sent this socket of that record (it remembers the socket's 32 most
    recently updated records)."""

    kind: Literal["update"]
    topic: Annotated[str, Meta(pattern=r"^/mpesa/b2c/[^/]+$", description="/mpesa/b2c/{hash}")]
    data: WithdrawalView


_C2B_TOPIC = Annotated[str, Meta(pattern=r"^/mpesa/c2b/[^/]+$", description="/mpesa/c2b/{hash}")]


class C2bRequestUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A payment request of the hash was created, counted a payment, or closed; also each open request on
    connecting (the catch-up) and again after a Redis outage. Never older than what the socket was sent (as for
    payments: by `data.version`)."""

    kind: Literal["update"]
    topic: _C2B_TOPIC
    data: C2bRequestView


class C2bPaymentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A customer paid to an account reference a request of the hash held; sent once per receipt, just before
    the update of the request it counted on (none when the request had closed), and once more when a reversal
    gave it back (with `reversal_id`), just before the request's update that no longer counts it."""

    kind: Literal["update"]
    topic: _C2B_TOPIC
    data: C2bPaymentView


# ---- Server → client, after the catch-up sent on connecting: where to resume from next time.

_CAUGHT_UP = (
    "Sent once the catch-up is done, to a socket whose URL has `after` (empty on a first connection), and to any "
    "socket whose catch-up stopped at CATCH_UP_MAX_UPDATES with more left; again after a Redis outage, once the "
    "store was read again. Reconnecting with `?after=<data.cursor>` sends every change after it, exactly: none "
    "lost to ties of time or to a page size, on any store."
)


class CaughtUpData(msgspec.Struct, forbid_unknown_fields=True):
    cursor: Annotated[
        str,
        Meta(
            pattern=r"^\d{15}-[0-9A-Za-z_]{0,64}$",
            description=(
                "Opaque: pass it back as `after`. Of two cursors the later is the greater string. It stays "
                "CATCH_UP_SETTLE_SECONDS (5) behind the read, so a change still being stored is not passed over: "
                "a resume may send again a change this socket was sent (the same `version`: keep the highest)."
            ),
        ),
    ]
    updates: Annotated[int, Meta(ge=0, description="How many records the catch-up read and sent (or had sent).")]
    complete: Annotated[
        bool,
        Meta(
            description=(
                "false when the catch-up stopped at CATCH_UP_MAX_UPDATES with more left: reconnect with "
                "`after` set to this cursor for the rest."
            )
        ),
    ]


class PaymentsCaughtUp(msgspec.Struct, forbid_unknown_fields=True):
    __doc__ = f"The catch-up of payments is done. {_CAUGHT_UP}"

    kind: Literal["caught_up"]
    topic: Annotated[str, Meta(pattern=r"^/mpesa/[^/]+$", description="/mpesa/{hash}")]
    data: CaughtUpData


class WithdrawalsCaughtUp(msgspec.Struct, forbid_unknown_fields=True):
    __doc__ = f"The catch-up of withdrawals is done. {_CAUGHT_UP}"

    kind: Literal["caught_up"]
    topic: Annotated[str, Meta(pattern=r"^/mpesa/b2c/[^/]+$", description="/mpesa/b2c/{hash}")]
    data: CaughtUpData


class C2bCaughtUp(msgspec.Struct, forbid_unknown_fields=True):
    __doc__ = f"The catch-up of payment requests is done. {_CAUGHT_UP}"

    kind: Literal["caught_up"]
    topic: Annotated[str, Meta(pattern=r"^/mpesa/c2b/[^/]+$", description="/mpesa/c2b/{hash}")]
    data: CaughtUpData


# Each channel's messages by name (the name is the message's `name`; its Struct names its schema).
STK_MESSAGES: dict[str, type[msgspec.Struct]] = {
    "push": PushRequest,
    "status": StatusRequest,
    "pushReply": PushReply,
    "statusReply": StatusReply,
    "errorReply": StkErrorReply,
    "update": PaymentUpdate,
    "caughtUp": PaymentsCaughtUp,
}
B2C_MESSAGES: dict[str, type[msgspec.Struct]] = {
    "withdraw": WithdrawRequest,
    "withdrawReply": WithdrawReply,
    "errorReply": B2cErrorReply,
    "update": WithdrawalUpdate,
    "caughtUp": WithdrawalsCaughtUp,
}
C2B_MESSAGES: dict[str, type[msgspec.Struct]] = {
    "errorReply": C2bErrorReply,
    "requestUpdate": C2bRequestUpdate,
    "paymentUpdate": C2bPaymentUpdate,
    "caughtUp": C2bCaughtUp,
}
# The request kinds each endpoint serves, with the payload Struct the listener converts it with.
STK_KINDS: dict[str, type[msgspec.Struct]] = {"push": PushPayload, "status": StatusPayload}
B2C_KINDS: dict[str, type[msgspec.Struct]] = {"withdraw": WithdrawPayload}


def _schemas() -> dict[str, Any]:
    types = [*STK_MESSAGES.values(), *B2C_MESSAGES.values(), *C2B_MESSAGES.values()]
    _, components = msgspec.json.schema_components(types, ref_template=_SCHEMAS)
    for struct, notes in FIELD_NOTES.items():
        for field, note in notes.items():
            components[struct]["properties"][field]["description"] = note
    # Each code with its meaning, from the one catalogue.
    components["ErrorCode"] = {
        "title": "ErrorCode",
        "description": "The one catalogue of error codes (the same codes over HTTP).",
        "type": "string",
        "oneOf": [{"const": code.value, "description": ERROR_CATALOGUE[code]} for code in ErrorCode],
    }
    return dict(sorted(components.items()))


def _message(name: str, struct: type[msgspec.Struct]) -> dict[str, Any]:
    summary = (struct.__doc__ or "").split("\n\n")[0]
    return {
        "name": name,
        "title": struct.__name__,
        "summary": " ".join(summary.split()),
        "contentType": "application/json",
        "payload": {"$ref": _SCHEMAS.format(name=struct.__name__)},
    }


_RESUME_REASONS = frozenset({SINCE_REFUSED, AFTER_REFUSED, BOTH_REFUSED})


def _close_codes(resumable: bool) -> tuple[tuple[int, str, str], ...]:
    """Every close code; a socket that takes no `after` or `since` never closes for them."""
    return tuple(row for row in CLOSE_CODES if resumable or row[1] not in _RESUME_REASONS)


def _close_codes_table(resumable: bool) -> str:
    rows = "\n".join(f"| {code} | {reason or '—'} | {when} |" for code, reason, when in _close_codes(resumable))
    return "| close code | reason | when |\n|---|---|---|\n" + rows


def _channel(
    address: str,
    title: str,
    description: str,
    messages: dict[str, type[msgspec.Struct]],
    *,
    resumable: bool = True,
) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "address": address,
        "title": title,
        "description": f"{description}\n\nThe server closes the socket with:\n\n{_close_codes_table(resumable)}",
        "parameters": {
            "hash": {
                "description": (
                    "Names the connection: every socket on the same hash gets the same updates, and `status` finds "
                    "only payments of its own hash. A signed capability token (a JWT signed with HS256, `kid` in "
                    f"its header; or, deprecated until {V1_ACCEPTED_UNTIL.isoformat()}, `v1.<kid>.<claims>.<mac>`; "
                    "see SECURITY.md) is replaced by its subject, which is then the hash."
                )
            }
        },
        "messages": {name: {"$ref": f"#/components/messages/{struct.__name__}"} for name, struct in messages.items()},
    }
    if resumable:
        channel["bindings"] = _resume_bindings()
    channel["x-close-codes"] = [
        {"code": code, "reason": reason, "when": when} for code, reason, when in _close_codes(resumable)
    ]
    return channel


def _resume_bindings() -> dict[str, Any]:
    return {
        "ws": {
            "query": {
                "type": "object",
                "properties": {
                    "after": {
                        "type": "string",
                        "description": (
                            "The `cursor` of the last `caught_up` message the client got; empty on its first "
                            "connection. The catch-up sent on connecting is then every change after it, "
                            "exactly, however old, followed by a `caught_up` with the cursor for next time "
                            "(without a cursor: what changed in the last CATCH_UP_WINDOW_SECONDS). Anything "
                            f"else: closed with {CLOSE_POLICY_VIOLATION}. Not with `since`."
                        ),
                    },
                    "since": {
                        "type": "string",
                        "format": "date-time",
                        "description": (
                            "The older way, without a cursor. ISO 8601 (UTC when it names no zone): the "
                            "`updated_at` of the last update the client saw. The catch-up sent on connecting is "
                            "then what changed from its millisecond on (at most 24 hours back), instead of the "
                            "last CATCH_UP_WINDOW_SECONDS: that last update comes again, with any other change "
                            "of the same millisecond. A change still being stored when the client was sent that "
                            "update can be missed; `after` cannot miss it. Not a time: closed with "
                            f"{CLOSE_POLICY_VIOLATION}."
                        ),
                    },
                },
                "additionalProperties": False,
            },
            "bindingVersion": WS_BINDING_VERSION,
        }
    }


def _operation(channel: str, action: str, message: str, summary: str, replies: list[str] | None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{channel}/messages/{message}"}],
    }
    if replies:
        operation["reply"] = {
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{reply}"} for reply in replies],
        }
    return operation


def asyncapi_document() -> dict[str, Any]:
    messages = {
        struct.__name__: _message(name, struct)
        for table in (STK_MESSAGES, B2C_MESSAGES, C2B_MESSAGES)
        for name, struct in table.items()
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "mpesa-gateway WebSocket protocol",
            "version": version("mpesa-gateway"),
            "description": (
                "Real-time M-PESA payments over secure WebSockets. Frames are text JSON, one message per frame; a "
                "client sends `{kind, payload, ref}` and gets one reply per request, plus an `update` whenever a "
                "payment, withdrawal or C2B payment request of its hash changes, however it was started. Generated by "
                "`python -m entrypoints.protocol.asyncapi` from the schemas the server validates with."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "development": {
                "host": "localhost:3000",
                "protocol": "wss",
                "description": "`make run`: the self-signed development certificate (ssl/cert.pem).",
            }
        },
        "channels": {
            "stk": _channel(
                "/mpesa/stk/{hash}",
                "STK push (Lipa na M-PESA Online)",
                "Ask for a PIN prompt on the customer's phone and watch the payment settle. Updates go to the "
                "topic /mpesa/{hash}.",
                STK_MESSAGES,
            ),
            "b2c": _channel(
                "/mpesa/b2c/{hash}",
                "B2C payouts",
                "Pay a customer out and watch the withdrawal settle. Updates go to the topic /mpesa/b2c/{hash}.",
                B2C_MESSAGES,
            ),
            "c2b": _channel(
                "/mpesa/c2b/{hash}",
                "C2B payments (Paybill and Till)",
                "Watch the C2B payment requests of the hash and the customers' payments to them, live: a till screen. "
                "The socket only listens; on connecting it is sent the hash's open requests, or, resuming with "
                "`after` (the cursor of its last `caught_up`) or `since`, every request of the hash changed since "
                "(closed ones too). Updates go to the topic /mpesa/c2b/{hash}.",
                C2B_MESSAGES,
            ),
        },
        "operations": {
            "push": _operation("stk", "receive", "push", "Start an STK push.", ["pushReply", "errorReply"]),
            "status": _operation(
                "stk", "receive", "status", "Read a payment's stored state.", ["statusReply", "errorReply"]
            ),
            "paymentUpdates": _operation("stk", "send", "update", "Every change of a payment of the hash.", None),
            "paymentsCaughtUp": _operation(
                "stk", "send", "caughtUp", "The catch-up is done: the cursor to resume after.", None
            ),
            "withdraw": _operation(
                "b2c", "receive", "withdraw", "Request a B2C payout.", ["withdrawReply", "errorReply"]
            ),
            "withdrawalUpdates": _operation("b2c", "send", "update", "Every change of a withdrawal of the hash.", None),
            "withdrawalsCaughtUp": _operation(
                "b2c", "send", "caughtUp", "The catch-up is done: the cursor to resume after.", None
            ),
            "c2bRequestUpdates": _operation(
                "c2b", "send", "requestUpdate", "Every change of a payment request of the hash.", None
            ),
            "c2bPaymentUpdates": _operation(
                "c2b", "send", "paymentUpdate", "Every payment to an account reference of the hash.", None
            ),
            "c2bCaughtUp": _operation(
                "c2b", "send", "caughtUp", "The catch-up is done: the cursor to resume after.", None
            ),
        },
        "components": {
            "schemas": _schemas(),
            "messages": dict(sorted(messages.items())),
        },
    }


def render() -> str:
    return json.dumps(asyncapi_document(), indent=2, ensure_ascii=False) + "\n"


def main(arguments: list[str]) -> None:
    """`python -m entrypoints.protocol.asyncapi [PATH]`: write the document to PATH, or print it."""
    text = render()
    if arguments:
        with open(arguments[0], "w", encoding="utf-8") as output:
            output.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
