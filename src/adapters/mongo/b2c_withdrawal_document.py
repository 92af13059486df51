"""How a B2C withdrawal is stored: a persistence shape private to this adapter, mapped field by field."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from bson import ObjectId
from odmantic import EmbeddedModel, Field, Model
from odmantic.config import ODMConfigDict

from adapters.mongo.applied_callback_document import FIELD, applied_callback_of, with_applied_callback
from adapters.mongo.bson_time import as_utc
from adapters.mongo.change_order import catch_up_ms
from adapters.mongo.status_change_document import StatusChangeDocument, to_history, to_history_documents
from domain.b2c.withdrawal import B2cResult, Withdrawal, WithdrawalStatus
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.shared.phone import Phone
from domain.shared.resume_cursor import epoch_ms
from domain.shared.status_query import OpenStatusQuery

_ABSENT_WHEN_NONE = ("status_query_digest", "status_query_asked_at")


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


def to_document(withdrawal: Withdrawal) -> WithdrawalDocument:
    """The document for a new withdrawal (a fresh `_id`); BSON keeps milliseconds, so finer time is truncated."""
    query = withdrawal.status_query
    return WithdrawalDocument(
        id=ObjectId(),
        withdrawal_id=withdrawal.id,
        hash=withdrawal.subject,
        phone=withdrawal.phone.msisdn,
        amount=withdrawal.amount.shillings,
        description=withdrawal.description.text,
        originator_conversation_id=withdrawal.originator_conversation_id,
        callback_token=withdrawal.callback_token,
        created_at=as_utc(withdrawal.created_at),
        updated_at=as_utc(withdrawal.updated_at),
        updated_ms=epoch_ms(as_utc(withdrawal.updated_at)),
        catch_up_ms=catch_up_ms(epoch_ms(as_utc(withdrawal.updated_at)), final=withdrawal.status.is_final),
        status=withdrawal.status.value,
        conversation_id=withdrawal.conversation_id,
        result_code=withdrawal.result_code,
        result_desc=withdrawal.result_desc,
        receipt=withdrawal.receipt,
        recipient_name=withdrawal.recipient_name,
        completed_at=withdrawal.completed_at,
        outcome_unknown=withdrawal.outcome_unknown,
        unconfirmed_success=_to_result_document(withdrawal.unconfirmed_success),
        lease_owner=withdrawal.lease_owner,
        lease_expires_at=None if withdrawal.lease_expires_at is None else as_utc(withdrawal.lease_expires_at),
        next_check_at=None if withdrawal.next_check_at is None else as_utc(withdrawal.next_check_at),
        check_attempts=withdrawal.check_attempts,
        status_query_digest=None if query is None else query.token_digest,
        status_query_asked_at=None if query is None else as_utc(query.asked_at),
        reference=None if withdrawal.reference is None else withdrawal.reference.text,
        metadata=None if withdrawal.metadata is None else withdrawal.metadata.as_dict(),
        history=to_history_documents(withdrawal.history),
        version=withdrawal.version,
    )


def new_document(withdrawal: Withdrawal) -> dict[str, Any]:
    """What is inserted for a new withdrawal: its document, with no open query's fields written as null."""
    stored = to_document(withdrawal).model_dump_doc()
    for name in _ABSENT_WHEN_NONE:
        if stored[name] is None:
            del stored[name]
    return with_applied_callback(stored, withdrawal.applied_callback)


def replacement_for(withdrawal: Withdrawal, version: int) -> dict[str, Any]:
    """The whole stored document of `withdrawal` at `version`, without `_id`, which a replacement keeps."""
    stored = new_document(withdrawal)
    del stored["_id"]
    return {**stored, "version": version}


def from_stored(stored: dict[str, Any]) -> Withdrawal:
    """A withdrawal from a raw document, as the driver hands it back (its applied callback read beside the model)."""
    applied = applied_callback_of(stored)
    withdrawal = to_withdrawal(
        WithdrawalDocument.model_validate_doc({name: value for name, value in stored.items() if name != FIELD})
    )
    withdrawal.applied_callback = applied
    return withdrawal


def to_withdrawal(document: WithdrawalDocument) -> Withdrawal:
    # Values were validated when the withdrawal was requested: rebuild them as they are, without parsing again.
    return Withdrawal(
        id=document.withdrawal_id,
        subject=document.hash,
        phone=Phone(document.phone),
        amount=Amount(document.amount),
        description=Description(document.description),
        originator_conversation_id=document.originator_conversation_id,
        callback_token=document.callback_token,
        created_at=as_utc(document.created_at),
        updated_at=as_utc(document.updated_at),
        status=WithdrawalStatus(document.status),
        conversation_id=document.conversation_id,
        result_code=document.result_code,
        result_desc=document.result_desc,
        receipt=document.receipt,
        recipient_name=document.recipient_name,
        completed_at=document.completed_at,
        outcome_unknown=document.outcome_unknown,
        unconfirmed_success=_to_result(document.unconfirmed_success),
        lease_owner=document.lease_owner,
        lease_expires_at=None if document.lease_expires_at is None else as_utc(document.lease_expires_at),
        next_check_at=None if document.next_check_at is None else as_utc(document.next_check_at),
        check_attempts=document.check_attempts,
        status_query=_to_query(document),
        reference=None if document.reference is None else MerchantReference(document.reference),
        metadata=None if document.metadata is None else Metadata.stored(document.metadata),
        history=to_history(document.history),
        version=document.version,
    )


def _to_query(document: WithdrawalDocument) -> OpenStatusQuery | None:
    if document.status_query_digest is None:
        return None
    asked_at = document.status_query_asked_at or document.updated_at
    return OpenStatusQuery(document.status_query_digest, as_utc(asked_at))


def _to_result(documents: list[B2cResultDocument]) -> B2cResult | None:
    return B2cResult(**documents[0].model_dump()) if documents else None


def _to_result_document(result: B2cResult | None) -> list[B2cResultDocument]:
    return [] if result is None else [B2cResultDocument(**asdict(result))]
