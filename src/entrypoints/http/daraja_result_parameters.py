"""What Daraja's asynchronous Results (B2C, Transaction Status, reversal, account balance) share: a `Result` envelope
and its `ResultParameters`, a key-value list, read in every form the public record shows. Safaricom wraps the items
in {"ResultParameter": [...]}, a lone item sometimes stands unwrapped in a list's place, and mpesakit's schema has
them as a bare list (docs/daraja.md)."""

from typing import Any, TypeVar

import msgspec

from domain.shared.errors import ValidationError
from entrypoints.protocol.json_bounds import check_json_bounds


class ResultParameterItem(msgspec.Struct):
    Key: str
    Value: Any = None


class ResultParameterList(msgspec.Struct):
    ResultParameter: list[ResultParameterItem] | ResultParameterItem = msgspec.field(default_factory=list)


# The field type of `ResultParameters`; named apart from it, since a Struct field would shadow a namesake type.
ParameterList = ResultParameterList | list[ResultParameterItem] | None


Envelope = TypeVar("Envelope")


def decode_result(decoder: msgspec.json.Decoder[Envelope], raw: bytes) -> Envelope:
    """The envelope `raw` holds, or a ValidationError on `Result` (too deep or large, not JSON, not the shape)."""
    check_json_bounds(raw, "body")
    try:
        return decoder.decode(raw)
    except msgspec.DecodeError as fault:  # includes msgspec's ValidationError
        raise ValidationError("Result", str(fault)) from fault


def by_key(parameters: ParameterList | list[ResultParameterItem] | ResultParameterItem) -> dict[str, Any]:
    if parameters is None:
        return {}
    listed = parameters.ResultParameter if isinstance(parameters, ResultParameterList) else parameters
    return {item.Key: item.Value for item in (listed if isinstance(listed, list) else [listed])}


def text_value(value: object) -> str | None:
    """A non-empty string as it is; anything else (absent, empty, a number) as none."""
    return value if isinstance(value, str) and value else None


def time_text(value: object) -> str | None:
    """A completion time Daraja writes as a string or as a number (20191122063845), as text."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
