"""A payment request as stored: one document, its counted confirmations a subdocument keyed by TransID.

Times are epoch milliseconds (integers): the embedded store compares dates to the whole second and stores a
datetime given to `$set` as a string. `open_reference` exists only while the request is open: the partial unique
index of migration m0014 on it keeps one open request per account reference. `events_pending` is the outbox mark
(adapters.mongo.event_outbox): set by every write once the request has a history, cleared by the event relay.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.c2b.account_reference import AccountReference
from domain.c2b.payment_request import AmountRule, AppliedConfirmation, PaymentRequest, RequestStatus
from domain.events.ports import OutboxRecord
from domain.events.types import C2B_REQUEST
from domain.shared.merchant_data import Metadata
from domain.shared.resume_cursor import epoch_ms
from domain.shared.status_change import ChangeCause, StatusChange

COLLECTION = "c2b_requests"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_document(request: PaymentRequest, version: int | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "request_id": request.id,
        "hash": request.subject,
        "reference": request.reference.text,
        "rule": request.rule.value,
        "amount": request.amount,
        "expires_ms": epoch_ms(request.expires_at),
        "created_ms": epoch_ms(request.created_at),
        "updated_ms": epoch_ms(request.updated_at),
        "metadata": request.metadata.as_dict(),
        "status": request.status.value,
        "confirmations": {c.trans_id: _confirmation(c) for c in request.confirmations.values()},
        "version": request.version if version is None else version,
        "history": [
            {
                "at_ms": epoch_ms(c.at),
                "status": c.status,
                "cause": c.cause.value,
                "detail": c.detail,
                "snapshot": c.snapshot,
            }
            for c in request.history
        ],
        # Every write once there is history, so a final state not relayed yet is never unmarked by a later write.
        "events_pending": bool(request.history),
    }
    if request.status is RequestStatus.OPEN:
        document["open_reference"] = request.reference.text
    return document


def from_document(stored: dict[str, Any]) -> PaymentRequest:
    return PaymentRequest(
        id=stored["request_id"],
        subject=stored["hash"],
        reference=AccountReference(stored["reference"]),
        rule=AmountRule(stored["rule"]),
        amount=stored["amount"],
        expires_at=from_ms(stored["expires_ms"]),
        created_at=from_ms(stored["created_ms"]),
        updated_at=from_ms(stored["updated_ms"]),
        metadata=Metadata.stored(stored.get("metadata") or {}),
        status=RequestStatus(stored["status"]),
        confirmations={
            trans_id: AppliedConfirmation(trans_id, c["amount"], from_ms(c["at_ms"]), _moment(c.get("reversed_ms")))
            for trans_id, c in (stored.get("confirmations") or {}).items()
        },
        version=stored["version"],
        history=[
            StatusChange(from_ms(c["at_ms"]), c["status"], ChangeCause(c["cause"]), c.get("detail"), c.get("snapshot"))
            for c in stored.get("history") or []
        ],
    )


def outbox_record(stored: dict[str, Any]) -> OutboxRecord:
    """A request's final state, for the event relay (adapters.mongo.event_outbox)."""
    request = from_document(stored)
    return OutboxRecord(C2B_REQUEST, request.id, request.version, request.history, request.view())


def _confirmation(applied: AppliedConfirmation) -> dict[str, Any]:
    document: dict[str, Any] = {"amount": applied.amount, "at_ms": epoch_ms(applied.at)}
    if applied.reversed_at is not None:
        document["reversed_ms"] = epoch_ms(applied.reversed_at)
    return document


def _moment(milliseconds: int | None) -> datetime | None:
    return None if milliseconds is None else from_ms(milliseconds)


def from_ms(milliseconds: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=milliseconds)
