"""How an STK payment is stored: a persistence shape private to this adapter, mapped field by field."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from bson import ObjectId
from odmantic import EmbeddedModel, Field, Model
from odmantic.config import ODMConfigDict

from adapters.mongo.bson_time import as_utc
from adapters.mongo.status_change_document import StatusChangeDocument, to_history, to_history_documents
from domain.amount import Amount
from domain.description import Description
from domain.merchant_data import MerchantReference, Metadata
from domain.payment import Payment, StkResult
from domain.phone import Phone
from domain.result_codes import PaymentStatus
from domain.resume_cursor import epoch_ms


class StkResultDocument(EmbeddedModel):
    """A success callback held until Daraja's query confirms it, as Daraja reported it."""

    merchant_request: str
    checkout: str
    result_code: str
    result_desc: str
    receipt: str | None = None
    amount: int | None = None
    phone: str | None = None
    transaction_date: str | None = None


class PaymentDocument(Model):
    """An STK payment as stored; its indexes come from the migrations, not from `configure_database`."""

    payment_id: str = Field(unique=True)
    hash: str
    phone: str
    amount: int
    description: str
    callback_token: str = Field(unique=True)
    created_at: datetime
    updated_at: datetime
    # `updated_at` in whole milliseconds since 1970, set by every write: the catch-up's order and its cursor
    # (`ResumeCursor`) compare it, because the embedded store compares dates only to the whole second. Filled in
    # for documents stored before it existed by migration m0011.
    updated_ms: int = 0
    status: str
    checkout: str | None = None
    merchant_request: str | None = None
    result_code: str | None = None
    result_desc: str | None = None
    receipt: str | None = None
    transaction_date: str | None = None
    outcome_unknown: bool = False
    # A list of none or one: odmantic 1.1 cannot store an optional embedded model (it reads it as a sequence).
    unconfirmed_success: list[StkResultDocument] = Field(default_factory=list)
    # Absent from documents written before reconciliation existed: the defaults read them as never scheduled.
    next_check_at: datetime | None = None
    check_attempts: int = 0
    # Absent from documents written before merchants could attach them: read as none given.
    reference: str | None = None
    metadata: dict[str, Any] | None = None
    # Absent from documents written before reversals existed: read as not reversed.
    reversal_id: str | None = None
    history: list[StatusChangeDocument] = Field(default_factory=list)
    version: int = 0
    # The transactional outbox: every write (insert or replace) sets it, in the same single-document step as the
    # history entries it announces; the event relay turns new history entries into events and clears it.
    events_pending: bool = True

    model_config = ODMConfigDict(collection="stk_payments")


def to_document(payment: Payment) -> PaymentDocument:
    """The document for a new payment (a fresh `_id`); BSON keeps milliseconds, so finer time is truncated."""
    return PaymentDocument(
        id=ObjectId(),
        payment_id=payment.id,
        hash=payment.hash,
        phone=payment.phone.msisdn,
        amount=payment.amount.shillings,
        description=payment.description.text,
        callback_token=payment.callback_token,
        created_at=as_utc(payment.created_at),
        updated_at=as_utc(payment.updated_at),
        updated_ms=epoch_ms(as_utc(payment.updated_at)),
        status=payment.status.value,
        checkout=payment.checkout,
        merchant_request=payment.merchant_request,
        result_code=payment.result_code,
        result_desc=payment.result_desc,
        receipt=payment.receipt,
        transaction_date=payment.transaction_date,
        outcome_unknown=payment.outcome_unknown,
        unconfirmed_success=_to_result_document(payment.unconfirmed_success),
        next_check_at=None if payment.next_check_at is None else as_utc(payment.next_check_at),
        check_attempts=payment.check_attempts,
        reference=None if payment.reference is None else payment.reference.text,
        metadata=None if payment.metadata is None else payment.metadata.as_dict(),
        reversal_id=payment.reversal_id,
        history=to_history_documents(payment.history),
        version=payment.version,
    )


def replacement_for(payment: Payment, version: int) -> dict[str, Any]:
    """The whole stored document of `payment` at `version`, without `_id`, which a replacement keeps."""
    stored = to_document(payment).model_dump_doc()
    del stored["_id"]
    return {**stored, "version": version}


def from_stored(stored: dict[str, Any]) -> Payment:
    """A payment from a raw document, as the driver hands it back."""
    return to_payment(PaymentDocument.model_validate_doc(stored))


def to_payment(document: PaymentDocument) -> Payment:
    # Values were validated when the payment was started: rebuild them as they are, without parsing again.
    return Payment(
        id=document.payment_id,
        hash=document.hash,
        phone=Phone(document.phone),
        amount=Amount(document.amount),
        description=Description(document.description),
        callback_token=document.callback_token,
        created_at=as_utc(document.created_at),
        updated_at=as_utc(document.updated_at),
        status=PaymentStatus(document.status),
        checkout=document.checkout,
        merchant_request=document.merchant_request,
        result_code=document.result_code,
        result_desc=document.result_desc,
        receipt=document.receipt,
        transaction_date=document.transaction_date,
        outcome_unknown=document.outcome_unknown,
        unconfirmed_success=_to_result(document.unconfirmed_success),
        next_check_at=None if document.next_check_at is None else as_utc(document.next_check_at),
        check_attempts=document.check_attempts,
        reference=None if document.reference is None else MerchantReference(document.reference),
        metadata=None if document.metadata is None else Metadata.stored(document.metadata),
        reversal_id=document.reversal_id,
        history=to_history(document.history),
        version=document.version,
    )


def _to_result_document(result: StkResult | None) -> list[StkResultDocument]:
    return [] if result is None else [StkResultDocument(**asdict(result))]


def _to_result(documents: list[StkResultDocument]) -> StkResult | None:
    return StkResult(**documents[0].model_dump()) if documents else None
