"""How an STK payment is stored: a persistence shape private to this adapter, mapped field by field."""

from datetime import datetime
from typing import Any

from odmantic import Field, Model
from odmantic.config import ODMConfigDict

from adapters.mongo.bson_time import as_utc
from adapters.mongo.status_change_document import StatusChangeDocument, to_history, to_history_documents
from domain.amount import Amount
from domain.description import Description
from domain.payment import Payment
from domain.phone import Phone
from domain.result_codes import PaymentStatus


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
    status: str
    checkout: str | None = None
    merchant_request: str | None = None
    result_code: str | None = None
    result_desc: str | None = None
    receipt: str | None = None
    transaction_date: str | None = None
    outcome_unknown: bool = False
    # Absent from documents written before reconciliation existed: the defaults read them as never scheduled.
    next_check_at: datetime | None = None
    check_attempts: int = 0
    history: list[StatusChangeDocument] = Field(default_factory=list)
    version: int = 0
    # The transactional outbox: every write (insert or replace) sets it, in the same single-document step as the
    # history entries it announces; the event relay turns new history entries into events and clears it.
    events_pending: bool = True

    model_config = ODMConfigDict(collection="stk_payments")


def to_document(payment: Payment) -> PaymentDocument:
    """The document for a new payment (a fresh `_id`); BSON keeps milliseconds, so finer time is truncated."""
    return PaymentDocument(
        payment_id=payment.id,
        hash=payment.hash,
        phone=payment.phone.msisdn,
        amount=payment.amount.shillings,
        description=payment.description.text,
        callback_token=payment.callback_token,
        created_at=as_utc(payment.created_at),
        updated_at=as_utc(payment.updated_at),
        status=payment.status.value,
        checkout=payment.checkout,
        merchant_request=payment.merchant_request,
        result_code=payment.result_code,
        result_desc=payment.result_desc,
        receipt=payment.receipt,
        transaction_date=payment.transaction_date,
        outcome_unknown=payment.outcome_unknown,
        next_check_at=None if payment.next_check_at is None else as_utc(payment.next_check_at),
        check_attempts=payment.check_attempts,
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
        next_check_at=None if document.next_check_at is None else as_utc(document.next_check_at),
        check_attempts=document.check_attempts,
        history=to_history(document.history),
        version=document.version,
    )
