"""Bounds checked before any JSON is decoded, so a hostile frame or body costs little: size, then nesting depth."""

import re

from domain.shared.errors import ValidationError

# A real message or callback body is under 2 KiB and nests at most 6 levels (Daraja's callbacks).
MAXIMUM_DOCUMENT_BYTES = 64 * 1024
MAXIMUM_DEPTH = 16
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def check_json_bounds(raw: str | bytes, field: str = "message") -> None:
    """Raise ValidationError for a document over MAXIMUM_DOCUMENT_BYTES or nested deeper than MAXIMUM_DEPTH."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > MAXIMUM_DOCUMENT_BYTES:
        raise ValidationError(field, f"must be at most {MAXIMUM_DOCUMENT_BYTES} bytes")
    if data.count(b"{") + data.count(b"[") <= MAXIMUM_DEPTH:
        return  # no deeper than its opening brackets, whether or not some are inside strings: every real document
    depth = 0
    # Brackets inside strings don't nest: strings are blanked first (a broken string is left to the decoder).
    for bracket in _BRACKET.findall(_STRING.sub(b'""', data)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAXIMUM_DEPTH:
            raise ValidationError(field, f"must not nest deeper than {MAXIMUM_DEPTH} levels")
