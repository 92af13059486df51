"""A payment request as stored: one document, its counted confirmations a subdocument keyed by TransID.

Times are epoch milliseconds (integers): the embedded store compares dates to the whole second and stores a
datetime given to `$set` as a string. `open_reference` exists only while the request is open: the partial unique
index of migration m0014 on it keeps one open request per account reference.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.c2b.account_reference import AccountReference
from domain.c2b.payment_request import AmountRule, AppliedConfirmation, PaymentRequest, RequestStatus
from domain.merchant_data import Metadata
from domain.resume_cursor import epoch_ms

COLLECTION = "c2b_requests"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_document(request: PaymentRequest, version: int | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "request_id": request.id,
        "hash": request.hash,
        "reference": request.reference.text,
        "rule": request.rule.value,
        "amount": request.amount,
        "expires_ms": epoch_ms(request.expires_at),
        "created_ms": epoch_ms(request.created_at),
        "updated_ms": epoch_ms(request.updated_at),
        "metadata": request.metadata.as_dict(),
        "status": request.status.value,
        "confirmations": {
            c.trans_id: {"amount": c.amount, "at_ms": epoch_ms(c.at)} for c in request.confirmations.values()
        },
        "version": request.version if version is None else version,
    }
    if request.status is RequestStatus.OPEN:
        document["open_reference"] = request.reference.text
    return document


def from_document(stored: dict[str, Any]) -> PaymentRequest:
    return PaymentRequest(
        id=stored["request_id"],
        hash=stored["hash"],
        reference=AccountReference(stored["reference"]),
        rule=AmountRule(stored["rule"]),
        amount=stored["amount"],
        expires_at=from_ms(stored["expires_ms"]),
        created_at=from_ms(stored["created_ms"]),
        updated_at=from_ms(stored["updated_ms"]),
        metadata=Metadata.stored(stored.get("metadata") or {}),
        status=RequestStatus(stored["status"]),
        confirmations={
            trans_id: AppliedConfirmation(trans_id, c["amount"], from_ms(c["at_ms"]))
            for trans_id, c in (stored.get("confirmations") or {}).items()
        },
        version=stored["version"],
    )


def from_ms(milliseconds: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=milliseconds)
