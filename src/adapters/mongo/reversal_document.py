"""A reversal as stored: one plain document, written whole by insert or conditional replace (nx-27017 stores a
datetime given to `$set` as a string). `live_receipt` exists only while the reversal holds its receipt (it is not
failed): the partial unique index of migration m0022 on it keeps one live reversal per receipt."""

from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.mongo.bson_time import as_utc
from domain.reversals.reversal import PaymentKind, Reversal, ReversalStatus
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.resume_cursor import epoch_ms
from domain.shared.status_change import ChangeCause, StatusChange
from domain.shared.status_query import OpenStatusQuery

COLLECTION = "reversals"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_document(reversal: Reversal, version: int) -> dict[str, Any]:
    document: dict[str, Any] = {
        "reversal_id": reversal.id,
        "receipt": reversal.receipt,
        "amount": reversal.amount.shillings,
        "reason": reversal.reason.text,
        "hash": reversal.subject,
        "payment_id": reversal.payment_id,
        "payment_kind": reversal.payment_kind.value,
        "receiver_party": reversal.receiver_party,
        "callback_token": reversal.callback_token,
        "idempotency_key": reversal.idempotency_key,
        "created_at": as_utc(reversal.created_at),
        "created_ms": epoch_ms(reversal.created_at),
        "updated_at": as_utc(reversal.updated_at),
        "updated_ms": epoch_ms(reversal.updated_at),
        "status": reversal.status.value,
        "conversation_id": reversal.conversation_id,
        "originator_conversation_id": reversal.originator_conversation_id,
        "result_code": reversal.result_code,
        "result_desc": reversal.result_desc,
        "reversal_receipt": reversal.reversal_receipt,
        "completed_at": reversal.completed_at,
        "lease_owner": reversal.lease_owner,
        # Epoch milliseconds: the embedded store compares dates only to the whole second.
        "lease_until_ms": None if reversal.lease_expires_at is None else epoch_ms(reversal.lease_expires_at),
        "next_check_ms": None if reversal.next_check_at is None else epoch_ms(reversal.next_check_at),
        "check_attempts": reversal.check_attempts,
        "history": [
            {"at": as_utc(c.at), "status": c.status, "cause": c.cause.value, "detail": c.detail, "snapshot": c.snapshot}
            for c in reversal.history
        ],
        "version": version,
        # The outbox mark (adapters.mongo.event_outbox): set by every write, cleared by the event relay.
        "events_pending": True,
    }
    if reversal.holds_receipt:
        document["live_receipt"] = reversal.receipt
    if reversal.status_query is not None:
        # Left out, never null, while no query is open: its unique index is partial on `$exists`.
        document["status_query_digest"] = reversal.status_query.token_digest
        document["status_query_asked_ms"] = epoch_ms(reversal.status_query.asked_at)
    return document


def from_stored(stored: dict[str, Any]) -> Reversal:
    # Values were validated when the reversal was requested: rebuild them as they are, without parsing again.
    return Reversal(
        id=stored["reversal_id"],
        receipt=stored["receipt"],
        amount=Amount(stored["amount"]),
        reason=Description(stored["reason"]),
        subject=stored["hash"],
        payment_id=stored["payment_id"],
        callback_token=stored["callback_token"],
        created_at=as_utc(stored["created_at"]),
        updated_at=as_utc(stored["updated_at"]),
        idempotency_key=stored.get("idempotency_key"),
        # Reversals stored before C2B payments could be reversed were all of STK payments.
        payment_kind=PaymentKind(stored.get("payment_kind", PaymentKind.STK.value)),
        receiver_party=stored.get("receiver_party"),
        status=ReversalStatus(stored["status"]),
        conversation_id=stored.get("conversation_id"),
        originator_conversation_id=stored.get("originator_conversation_id"),
        result_code=stored.get("result_code"),
        result_desc=stored.get("result_desc"),
        reversal_receipt=stored.get("reversal_receipt"),
        completed_at=stored.get("completed_at"),
        lease_owner=stored.get("lease_owner"),
        lease_expires_at=_moment(stored.get("lease_until_ms")),
        next_check_at=_moment(stored.get("next_check_ms")),
        check_attempts=stored.get("check_attempts", 0),
        status_query=_query(stored),
        history=[
            StatusChange(as_utc(c["at"]), c["status"], ChangeCause(c["cause"]), c.get("detail"), c.get("snapshot"))
            for c in stored.get("history") or []
        ],
        version=stored["version"],
    )


def _query(stored: dict[str, Any]) -> OpenStatusQuery | None:
    digest, asked = stored.get("status_query_digest"), _moment(stored.get("status_query_asked_ms"))
    return None if digest is None or asked is None else OpenStatusQuery(digest, asked)


def _moment(ms: int | None) -> datetime | None:
    return None if ms is None else _EPOCH + timedelta(milliseconds=ms)
