"""What a client or Daraja may send before any of it is decoded: at most 64 KiB, nested at most 16 levels, where a
bracket inside a string does not nest."""

import json

import pytest

from domain.shared.errors import ValidationError
from entrypoints.protocol.json_bounds import MAXIMUM_DEPTH, MAXIMUM_DOCUMENT_BYTES, check_json_bounds


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_a_document_nested_to_the_limit_is_admitted() -> None:
    check_json_bounds(_nested(MAXIMUM_DEPTH))
    check_json_bounds(json.dumps({"a": [{"b": _nested(MAXIMUM_DEPTH - 3)}]}))


def test_a_document_nested_one_level_deeper_is_refused_as_a_message_or_a_body() -> None:
    with pytest.raises(ValidationError, match="nest deeper than 16") as refused:
        check_json_bounds(_nested(MAXIMUM_DEPTH + 1))
    with pytest.raises(ValidationError) as body_refused:
        check_json_bounds(_nested(MAXIMUM_DEPTH + 1).encode(), "body")

    assert (refused.value.field, body_refused.value.field) == ("message", "body")


def test_brackets_inside_strings_do_not_nest() -> None:
    check_json_bounds(json.dumps({"note": "[" * 100 + '{\\"' * 50, "items": [[1], [2]]}))


def test_many_shallow_brackets_are_admitted() -> None:
    check_json_bounds(json.dumps({"items": [{"n": n} for n in range(500)]}))


def test_depth_is_counted_past_many_shallow_brackets() -> None:
    shallow = json.dumps([{"n": n} for n in range(50)])

    with pytest.raises(ValidationError, match="nest deeper"):
        check_json_bounds(f"[{shallow}, {_nested(MAXIMUM_DEPTH)}]")


def test_a_document_over_64_kib_is_refused_before_its_depth_is_looked_at() -> None:
    with pytest.raises(ValidationError, match=f"at most {MAXIMUM_DOCUMENT_BYTES} bytes"):
        check_json_bounds(" " * (MAXIMUM_DOCUMENT_BYTES + 1))
