"""What a merchant attaches to a payment or withdrawal: a short `reference` Daraja carries, and bounded `metadata`.

The reference becomes the STK push's AccountReference (at most 12 characters, docs/daraja.md#stk-push-request) or the
B2C request's Occasion (at most 100, docs/daraja.md#b2c-request). Daraja is reported to fail silently on characters
such as `@ # &` (docs/daraja.md#field-limits), so only letters, digits, spaces and `- _ . /` are taken. Metadata stays
with the gateway: it is never sent to Daraja.
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from domain.shared.errors import ValidationError

STK_REFERENCE_LENGTH = 12
B2C_REFERENCE_LENGTH = 100
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _./-]*")

METADATA_KEYS = 20
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500
METADATA_BYTES = 4 * 1024
# Keys a document store takes anywhere (no `.` or `$`); integers a JavaScript client reads exactly.
_METADATA_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
LARGEST_METADATA_INTEGER = 2**53 - 1


@dataclass(frozen=True, slots=True)
class MerchantReference:
    text: str

    @classmethod
    def parse(cls, raw: object, maximum: int) -> "MerchantReference":
        if not isinstance(raw, str):
            raise ValidationError("reference", "must be a string")
        text = raw.strip()
        if not 1 <= len(text) <= maximum:
            raise ValidationError("reference", f"must be 1 to {maximum} characters")
        if not _REFERENCE.fullmatch(text):
            raise ValidationError("reference", "may hold only letters, digits, spaces and - _ . / (not first)")
        return cls(text)


@dataclass(frozen=True, slots=True)
class Metadata:
    """A flat JSON object: string keys, values that are strings, numbers, booleans or null."""

    entries: tuple[tuple[str, Any], ...]

    @classmethod
    def parse(cls, raw: object) -> "Metadata":
        if not isinstance(raw, dict):
            raise ValidationError("metadata", "must be a JSON object")
        if len(raw) > METADATA_KEYS:
            raise ValidationError("metadata", f"must have at most {METADATA_KEYS} keys")
        for key, value in raw.items():
            _check_entry(key, value)
        encoded = json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()
        if len(encoded) > METADATA_BYTES:
            raise ValidationError("metadata", f"must be at most {METADATA_BYTES} bytes as JSON")
        return cls(tuple(raw.items()))

    @classmethod
    def stored(cls, entries: dict[str, Any]) -> "Metadata":
        """Metadata read back from the store: checked when it was accepted, so taken as it is."""
        return cls(tuple(entries.items()))

    def as_dict(self) -> dict[str, Any]:
        return dict(self.entries)


def _check_entry(key: object, value: object) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= METADATA_KEY_LENGTH or not _METADATA_KEY.fullmatch(key):
        raise ValidationError(
            "metadata", f"keys must be 1 to {METADATA_KEY_LENGTH} letters, digits, _ or - (not - first)"
        )
    field = f"metadata.{key}"
    if isinstance(value, str):
        if len(value) > METADATA_VALUE_LENGTH:
            raise ValidationError(field, f"must be at most {METADATA_VALUE_LENGTH} characters")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, "must be a finite number")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > LARGEST_METADATA_INTEGER:
            raise ValidationError(field, f"must be an integer within ±{LARGEST_METADATA_INTEGER}")
    elif value is not None and not isinstance(value, bool):
        raise ValidationError(field, "must be a string, a number, true, false or null")


def optional_reference(raw: object, maximum: int) -> MerchantReference | None:
    return None if raw is None else MerchantReference.parse(raw, maximum)


def optional_metadata(raw: object) -> Metadata | None:
    return None if raw is None else Metadata.parse(raw)
