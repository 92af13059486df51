"""How an STK payment is stored: a persistence shape private to this adapter, mapped field by field."""

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
from domain.shared.amount import Amount
from domain.shared.description import Description
from domain.shared.merchant_data import MerchantReference, Metadata
from domain.shared.phone import Phone
from domain.shared.resume_cursor import epoch_ms, from_epoch_ms
from domain.stk.payment import Payment, StkResult
from domain.stk.result_codes import PaymentStatus


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
    # `updated_ms` once final, STILL_OPEN_MS before (change_order.py), set by every write: a socket's catch-up finds
    # the open records and the recent changes in one range. Filled in for older documents by migration m0023.
    catch_up_ms: int = 0
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
    # The phone this payment's open PIN prompt holds (one open prompt per phone): present only while it holds it,
    # under a unique index partial on `$exists` (the embedded store ignores equality partial filters, and a null
    # would count as present), so a second open payment for one phone is a duplicate-key error. Its hold's end in
    # whole milliseconds since 1970 (a `$set` datetime would turn into a string on the embedded store).
    prompt_phone: str | None = None
    prompt_until_ms: int | None = None
    history: list[StatusChangeDocument] = Field(default_factory=list)
    version: int = 0
    # The transactional outbox: every write (insert or replace) sets it, in the same single-document step as the
    # history entries it announces; the event relay turns new history entries into events and clears it.
    events_pending: bool = True

    model_config = ODMConfigDict(collection="stk_payments")


def new_document(payment: Payment) -> dict[str, Any]:
    """The document to insert for a new payment (a fresh `_id`): the shape of `PaymentDocument`, built as the driver
    takes it rather than through the model, whose validation of what the domain already checked cost ~55 us a
    write (tests/unit/adapters/test_stk_payment_document.py holds it to the model's own dump). BSON keeps
    milliseconds, so finer time is truncated here, as the model does."""
    updated_at = stored_time(payment.updated_at)
    updated_ms = epoch_ms(updated_at)
    stored: dict[str, Any] = {
        "payment_id": payment.id,
        "hash": payment.subject,
        "phone": payment.phone.msisdn,
        "amount": payment.amount.shillings,
        "description": payment.description.text,
        "callback_token": payment.callback_token,
        "created_at": stored_time(payment.created_at),
        "updated_at": updated_at,
        "updated_ms": updated_ms,
        "catch_up_ms": catch_up_ms(updated_ms, final=payment.status is not PaymentStatus.PENDING),
        "status": payment.status.value,
        "checkout": payment.checkout,
        "merchant_request": payment.merchant_request,
        "result_code": payment.result_code,
        "result_desc": payment.result_desc,
        "receipt": payment.receipt,
        "transaction_date": payment.transaction_date,
        "outcome_unknown": payment.outcome_unknown,
        "unconfirmed_success": [] if payment.unconfirmed_success is None else [asdict(payment.unconfirmed_success)],
        "next_check_at": None if payment.next_check_at is None else stored_time(payment.next_check_at),
        "check_attempts": payment.check_attempts,
        "reference": None if payment.reference is None else payment.reference.text,
        "metadata": None if payment.metadata is None else payment.metadata.as_dict(),
        "reversal_id": payment.reversal_id,
        "prompt_until_ms": None if payment.phone_held_until is None else epoch_ms(as_utc(payment.phone_held_until)),
        "history": history_documents(payment.history),
        "version": payment.version,
        "events_pending": True,
        "_id": ObjectId(),
    }
    if payment.holds_phone():  # present only while held: the unique index is partial on `$exists`
        stored["prompt_phone"] = payment.phone.msisdn
    return with_applied_callback(stored, payment.applied_callback)


def replacement_for(payment: Payment, version: int) -> dict[str, Any]:
    """The whole stored document of `payment` at `version`, without `_id`, which a replacement keeps."""
    stored = new_document(payment)
    del stored["_id"]
    return {**stored, "version": version}


def from_stored(stored: dict[str, Any]) -> Payment:
    """A payment from a raw document, as the driver hands it back.

    Read field by field, without building the model: every document was written by `to_document` (or filled in
    by a migration), so validating it again would only spend CPU, about nine tenths of a read's own cost. Fields
    newer than a document read as their model defaults.
    """
    unconfirmed = stored.get("unconfirmed_success") or []
    reference, metadata = stored.get("reference"), stored.get("metadata")
    next_check_at, held_until_ms = stored.get("next_check_at"), stored.get("prompt_until_ms")
    return Payment(
        id=stored["payment_id"],
        subject=stored["hash"],
        phone=Phone(stored["phone"]),
        amount=Amount(stored["amount"]),
        description=Description(stored["description"]),
        callback_token=stored["callback_token"],
        created_at=as_utc(stored["created_at"]),
        updated_at=as_utc(stored["updated_at"]),
        status=PaymentStatus(stored["status"]),
        checkout=stored.get("checkout"),
        merchant_request=stored.get("merchant_request"),
        result_code=stored.get("result_code"),
        result_desc=stored.get("result_desc"),
        receipt=stored.get("receipt"),
        transaction_date=stored.get("transaction_date"),
        outcome_unknown=stored.get("outcome_unknown", False),
        unconfirmed_success=StkResult(**{name: unconfirmed[0].get(name) for name in _RESULT_FIELDS})
        if unconfirmed
        else None,
        next_check_at=None if next_check_at is None else as_utc(next_check_at),
        check_attempts=stored.get("check_attempts", 0),
        reference=None if reference is None else MerchantReference(reference),
        metadata=None if metadata is None else Metadata.stored(metadata),
        phone_held_until=None if held_until_ms is None else from_epoch_ms(held_until_ms),
        reversal_id=stored.get("reversal_id"),
        history=history_from_stored(stored.get("history") or []),
        applied_callback=applied_callback_of(stored),
        version=stored.get("version", 0),
    )


_RESULT_FIELDS = tuple(StkResultDocument.model_fields)
