"""How a B2C withdrawal is stored: a persistence shape private to this adapter, mapped field by field."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from bson import ObjectId
from odmantic import EmbeddedModel, Field, Model
from odmantic.config import ODMConfigDict

from adapters.mongo.applied_callback_document import applied_callback_of, with_applied_callback
from adapters.mongo.bson_time import as_utc, stored_time
from adapters.mongo.change_order import catch_up_ms
from adapters.mongo.status_change_document import StatusChangeDocument, history_documents, history_from_stored
from domain.b2c.withdrawal import B2cResult, Withdrawal, WithdrawalStatus
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.shared.phone import Phone
from domain.shared.resume_cursor import epoch_ms
from domain.shared.status_query import OpenStatusQuery


class B2cResultDocument(EmbeddedModel):
    """A success Result held until Transaction Status confirms it, as Daraja reported it."""

    originator_conversation_id: str
    conversation_id: str
    result_code: str
    result_desc: str
    receipt: str | None = None
    amount: int | None = None
    recipient_name: str | None = None
    completed_at: str | None = None


class WithdrawalDocument(Model):
    """A withdrawal as stored; its indexes come from the migrations, not from `configure_database`."""

    withdrawal_id: str = Field(unique=True)
    hash: str
    phone: str
    amount: int
    description: str
    originator_conversation_id: str = Field(unique=True)
    callback_token: str = Field(unique=True)
    created_at: datetime
    updated_at: datetime
    # `updated_at` in whole milliseconds since 1970, set by every write: the catch-up's order and its cursor
    # (`ResumeCursor`) compare it, because the embedded store compares dates only to the whole second. Filled in
    # for documents stored before it existed by migration m0011.
    updated_ms: int = 0
    # `updated_ms` once final, STILL_OPEN_MS before (change_order.py), set by every write: a socket's catch-up finds
    # the open records and the recent changes in one range. Filled in for older documents by migration m0023.
    catch_up_ms: int = 0
    status: str
    conversation_id: str | None = None
    result_code: str | None = None
    result_desc: str | None = None
    receipt: str | None = None
    recipient_name: str | None = None
    completed_at: str | None = None
    outcome_unknown: bool = False
    # A list of none or one: odmantic 1.1 cannot store an optional embedded model (it reads it as a sequence).
    unconfirmed_success: list[B2cResultDocument] = Field(default_factory=list)
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    # Absent from documents written before reconciliation existed: the defaults read them as never scheduled.
    next_check_at: datetime | None = None
    check_attempts: int = 0
    # The open Transaction Status query (the digest of its secret, and when it was asked). Left out of the document,
    # never stored as null, while there is none: its unique index is partial on `$exists`, which a null would match.
    # Absent from documents written before queries had their own secret: read as no query open.
    status_query_digest: str | None = None
    status_query_asked_at: datetime | None = None
    # Absent from documents written before merchants could attach them: read as none given.
    reference: str | None = None
    metadata: dict[str, Any] | None = None
    history: list[StatusChangeDocument] = Field(default_factory=list)
    version: int = 0
    # The transactional outbox: every write (insert or replace) sets it, in the same single-document step as the
    # history entries it announces; the event relay turns new history entries into events and clears it.
    events_pending: bool = True

    model_config = ODMConfigDict(collection="b2c_withdrawals")


def new_document(withdrawal: Withdrawal) -> dict[str, Any]:
    """What is inserted for a new withdrawal (a fresh `_id`): the shape of `WithdrawalDocument`, built as the driver
    takes it rather than through the model, whose validation of what the domain already checked cost ~50 us a write
    (tests/unit/adapters/test_b2c_withdrawal_document.py holds it to the model's own dump). No open query's fields
    are written as null (their unique index is partial on `$exists`). Times in whole milliseconds, as BSON keeps
    them."""
    query = withdrawal.status_query
    updated_at = stored_time(withdrawal.updated_at)
    updated_ms = epoch_ms(updated_at)
    stored: dict[str, Any] = {
        "withdrawal_id": withdrawal.id,
        "hash": withdrawal.subject,
        "phone": withdrawal.phone.msisdn,
        "amount": withdrawal.amount.shillings,
        "description": withdrawal.description.text,
        "originator_conversation_id": withdrawal.originator_conversation_id,
        "callback_token": withdrawal.callback_token,
        "created_at": stored_time(withdrawal.created_at),
        "updated_at": updated_at,
        "updated_ms": updated_ms,
        "catch_up_ms": catch_up_ms(updated_ms, final=withdrawal.status.is_final),
        "status": withdrawal.status.value,
        "conversation_id": withdrawal.conversation_id,
        "result_code": withdrawal.result_code,
        "result_desc": withdrawal.result_desc,
        "receipt": withdrawal.receipt,
        "recipient_name": withdrawal.recipient_name,
        "completed_at": withdrawal.completed_at,
        "outcome_unknown": withdrawal.outcome_unknown,
        "unconfirmed_success": []
        if withdrawal.unconfirmed_success is None
        else [asdict(withdrawal.unconfirmed_success)],
        "lease_owner": withdrawal.lease_owner,
        "lease_expires_at": _stored_or_none(withdrawal.lease_expires_at),
        "next_check_at": _stored_or_none(withdrawal.next_check_at),
        "check_attempts": withdrawal.check_attempts,
        "reference": None if withdrawal.reference is None else withdrawal.reference.text,
        "metadata": None if withdrawal.metadata is None else withdrawal.metadata.as_dict(),
        "history": history_documents(withdrawal.history),
        "version": withdrawal.version,
        "events_pending": True,
        "_id": ObjectId(),
    }
    if query is not None:
        stored["status_query_digest"] = query.token_digest
        stored["status_query_asked_at"] = stored_time(query.asked_at)
    return with_applied_callback(stored, withdrawal.applied_callback)


def replacement_for(withdrawal: Withdrawal, version: int) -> dict[str, Any]:
    """The whole stored document of `withdrawal` at `version`, without `_id`, which a replacement keeps."""
    stored = new_document(withdrawal)
    del stored["_id"]
    return {**stored, "version": version}


def as_stored(withdrawal: Withdrawal) -> Withdrawal:
    """`withdrawal` as a read of what was just stored would give it back (its times in whole milliseconds)."""
    return from_stored(new_document(withdrawal))


def from_stored(stored: dict[str, Any]) -> Withdrawal:
    """A withdrawal from a raw document, as the driver hands it back.

    Read field by field, without building the model: every document was written by `new_document` (or filled in by
    a migration), so validating it again would only spend CPU. Fields newer than a document read as their model
    defaults."""
    unconfirmed = stored.get("unconfirmed_success") or []
    reference, metadata = stored.get("reference"), stored.get("metadata")
    digest = stored.get("status_query_digest")
    return Withdrawal(
        id=stored["withdrawal_id"],
        subject=stored["hash"],
        phone=Phone(stored["phone"]),
        amount=Amount(stored["amount"]),
        description=Description(stored["description"]),
        originator_conversation_id=stored["originator_conversation_id"],
        callback_token=stored["callback_token"],
        created_at=as_utc(stored["created_at"]),
        updated_at=as_utc(stored["updated_at"]),
        status=WithdrawalStatus(stored["status"]),
        conversation_id=stored.get("conversation_id"),
        result_code=stored.get("result_code"),
        result_desc=stored.get("result_desc"),
        receipt=stored.get("receipt"),
        recipient_name=stored.get("recipient_name"),
        completed_at=stored.get("completed_at"),
        outcome_unknown=stored.get("outcome_unknown", False),
        unconfirmed_success=B2cResult(**{name: unconfirmed[0].get(name) for name in _RESULT_FIELDS})
        if unconfirmed
        else None,
        lease_owner=stored.get("lease_owner"),
        lease_expires_at=_utc_or_none(stored.get("lease_expires_at")),
        next_check_at=_utc_or_none(stored.get("next_check_at")),
        check_attempts=stored.get("check_attempts", 0),
        status_query=None
        if digest is None
        else OpenStatusQuery(digest, as_utc(stored.get("status_query_asked_at") or stored["updated_at"])),
        reference=None if reference is None else MerchantReference(reference),
        metadata=None if metadata is None else Metadata.stored(metadata),
        applied_callback=applied_callback_of(stored),
        history=history_from_stored(stored.get("history") or []),
        version=stored.get("version", 0),
    )


_RESULT_FIELDS = tuple(B2cResultDocument.model_fields)


def _stored_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else stored_time(moment)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)
