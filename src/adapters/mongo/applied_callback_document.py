"""How a record keeps the callback that applied to it: the journal's own entry shape, as a whole field of the record.

A whole field (`applied_callback`), written by the record's conditional replacement, because that is what the
embedded store keeps faithfully: it stores a sub-document pushed onto an array as a JSON string, and ignores a dotted
update into an array. The body, BSON binary in the journal, is base64 text here (`body_base64`), byte for byte all
the same: the embedded store refuses binary in a replacement (`replace_one` fails, `find_one_and_replace` silently
replaces nothing). Absent from every record that no callback applied to, and from records stored before the field
existed (their applied callback is in the journal): both read as none.
"""

import base64
from typing import Any

from bson import ObjectId

from adapters.mongo.bson_time import as_utc
from adapters.mongo.callback_journal import entry_fields
from domain.callbacks.received_callback import AppliedCallback, CallbackKind, ReceivedCallback

FIELD = "applied_callback"


def with_applied_callback(stored: dict[str, Any], applied: AppliedCallback | None) -> dict[str, Any]:
    """`stored` (a record's document) with its applied callback, if it has one."""
    if applied is not None:
        entry = entry_fields(applied.callback)
        body = base64.b64encode(entry.pop("body")).decode("ascii")
        stored[FIELD] = {"journal_id": ObjectId(applied.journal_id), **entry, "body_base64": body}
    return stored


def applied_callback_of(stored: dict[str, Any]) -> AppliedCallback | None:
    """The applied callback a record's raw document keeps, if any."""
    kept = stored.get(FIELD)
    if not kept:
        return None
    callback = ReceivedCallback(
        kind=CallbackKind(kept["kind"]),
        path_token_hash=kept["path_token_hash"],
        body=base64.b64decode(kept["body_base64"]),
        headers=tuple((header["name"], header["value"]) for header in kept["headers"]),
        source=kept.get("source"),
        received_at=as_utc(kept["received_at"]),
    )
    return AppliedCallback(str(kept["journal_id"]), callback)
