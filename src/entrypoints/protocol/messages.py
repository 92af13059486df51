"""The shapes clients send: checked here for structure and types; the domain checks the business rules."""

import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import msgspec

from domain.shared.errors import ValidationError
from entrypoints.protocol.errors import InvalidJsonError, UnknownKindError
from entrypoints.protocol.json_bounds import check_json_bounds

MAXIMUM_REF_LENGTH = 128
_decoder = msgspec.json.Decoder()
# Loose bounds on what a client may send; the domain's own rules (phone formats, 100-character descriptions) are
# stricter and give the precise error. These only stop a hostile client from handing the domain megabytes.
_Phone = Annotated[str, msgspec.Meta(max_length=32)] | int
_Description = Annotated[str, msgspec.Meta(max_length=1024)]
_Identifier = Annotated[str, msgspec.Meta(max_length=128)]
_Reference = Annotated[str, msgspec.Meta(max_length=256)]
_Metadata = Annotated[dict[str, Any], msgspec.Meta(max_length=64)]
StructT = TypeVar("StructT", bound=msgspec.Struct)
_FIELD_IN_ERROR = re.compile(r"at `\$\.?([^`]*)`|field `([^`]+)`")


class _MoneyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What a push and a withdrawal both carry, over the socket and over HTTP."""

    phone: _Phone
    amount: int
    description: _Description
    reference: _Reference | None = None
    metadata: _Metadata | None = None


class PushPayload(_MoneyRequest, forbid_unknown_fields=True):
    pass


class WithdrawPayload(_MoneyRequest, forbid_unknown_fields=True):
    pass


class StatusPayload(msgspec.Struct, forbid_unknown_fields=True):
    checkout: _Identifier


_Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class HttpPushBody(_MoneyRequest, forbid_unknown_fields=True, kw_only=True):
    subject: _Subject = msgspec.field(name="hash")  # the subject, `hash` on the wire


class HttpWithdrawBody(_MoneyRequest, forbid_unknown_fields=True, kw_only=True):
    subject: _Subject = msgspec.field(name="hash")  # the subject, `hash` on the wire


class HttpReverseBody(msgspec.Struct, forbid_unknown_fields=True):
    """A reversal of the completed payment with this M-PESA receipt, for its whole amount (docs/reversals.md); the
    use case checks both fields' rules."""

    receipt: str
    reason: str


@dataclass(frozen=True, slots=True)
class ClientMessage:
    kind: str
    payload: dict[str, Any]
    ref: str | None


_ENVELOPE_FIELDS = frozenset({"kind", "payload", "ref"})


def decode_document(text: str | bytes) -> dict[str, Any]:
    check_json_bounds(text)
    try:
        document = _decoder.decode(text)
    except msgspec.DecodeError as fault:
        raise InvalidJsonError(f"the frame is not valid JSON: {fault}") from fault
    if not isinstance(document, dict):
        raise InvalidJsonError("the frame must be a JSON object")
    return document


def usable_ref(document: dict[str, Any]) -> str | None:
    """The client's `ref` when it is one the protocol can echo."""
    ref = document.get("ref")
    return ref if isinstance(ref, str) and len(ref) <= MAXIMUM_REF_LENGTH else None


def read_envelope(document: dict[str, Any], kinds: frozenset[str]) -> ClientMessage:
    """A message of a kind this endpoint serves, or the protocol's error for why it is not one."""
    kind = document.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        served = f"kind must be one of: {', '.join(sorted(kinds))}" if kinds else "this socket only listens"
        raise UnknownKindError(served, [{"field": "kind"}])
    ref = document.get("ref")
    if ref is not None and usable_ref(document) is None:
        raise ValidationError("ref", f"must be a string of at most {MAXIMUM_REF_LENGTH} characters")
    unknown = sorted(set(document) - _ENVELOPE_FIELDS)
    if unknown:
        raise ValidationError(unknown[0], "is not a field of the message envelope")
    payload = document.get("payload")
    if not isinstance(payload, dict):
        raise ValidationError("payload", "must be a JSON object")
    return ClientMessage(kind, payload, ref)


def convert(payload: dict[str, Any], shape: type[StructT]) -> StructT:
    try:
        return msgspec.convert(payload, shape, strict=True)
    except msgspec.ValidationError as fault:
        match = _FIELD_IN_ERROR.search(str(fault))
        field = next((group for group in match.groups() if group), "payload") if match else "payload"
        raise ValidationError(field, str(fault)) from fault
