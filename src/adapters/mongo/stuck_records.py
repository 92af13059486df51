from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.reversal_document import COLLECTION as _REVERSALS
from adapters.mongo.store_errors import translates_store_errors
from domain.b2c.result_codes import WithdrawalStatus
from domain.records.ports import StuckKind, StuckRecord, StuckRecords
from domain.reversals.reversal import ReversalStatus
from domain.shared.phone import Phone
from domain.stk.result_codes import PaymentStatus

# Read straight from the collections the repositories keep, only the fields an operator is shown.
_PAYMENTS = "stk_payments"
_WITHDRAWALS = "b2c_withdrawals"
_PAYMENT_WAITING = [PaymentStatus.PENDING.value]
# Timeout is not final for a withdrawal: the money may have moved, and it waits to be reconciled.
_WITHDRAWAL_WAITING = [WithdrawalStatus.QUEUED.value, WithdrawalStatus.SUBMITTED.value, WithdrawalStatus.TIMEOUT.value]
_REVERSAL_WAITING = [s.value for s in ReversalStatus if not s.is_final]
_LONGEST_UNCHANGED_FIRST = [("updated_at", ASCENDING), ("_id", ASCENDING)]
_SHOWN = ["hash", "status", "amount", "phone", "created_at", "updated_at", "outcome_unknown"]
_PAYMENT_FIELDS = ["payment_id", *_SHOWN, "checkout", "merchant_request"]
_WITHDRAWAL_FIELDS = ["withdrawal_id", *_SHOWN, "originator_conversation_id", "conversation_id"]
_REVERSAL_FIELDS = ["reversal_id", "hash", "status", "amount", "created_at", "updated_at", "receipt"]
_REVERSAL_FIELDS += ["originator_conversation_id", "conversation_id"]


class MongoStuckRecords(StuckRecords):
    """Payments, withdrawals and reversals not final and unchanged since a cutoff; the payment and withdrawal scans use
    a (status, updated_at) index, the reversal scan none: reversals are few, a refund desk's, not a checkout's."""

    def __init__(self, database: MongoDatabase) -> None:
        self._payments, self._withdrawals = database[_PAYMENTS], database[_WITHDRAWALS]
        self._reversals = database[_REVERSALS]

    @translates_store_errors
    async def updated_before(self, cutoff: datetime, limit: int) -> list[StuckRecord]:
        before = {"$lt": as_utc(cutoff)}
        payments = self._payments.find(
            {"status": {"$in": _PAYMENT_WAITING}, "updated_at": before},
            projection=_PAYMENT_FIELDS,
            sort=_LONGEST_UNCHANGED_FIRST,
            limit=limit,
        )
        withdrawals = self._withdrawals.find(
            {"status": {"$in": _WITHDRAWAL_WAITING}, "updated_at": before},
            projection=_WITHDRAWAL_FIELDS,
            sort=_LONGEST_UNCHANGED_FIRST,
            limit=limit,
        )
        reversals = self._reversals.find(
            {"status": {"$in": _REVERSAL_WAITING}, "updated_at": before},
            projection=_REVERSAL_FIELDS,
            sort=_LONGEST_UNCHANGED_FIRST,
            limit=limit,
        )
        found = [_payment(stored) async for stored in payments] + [_withdrawal(stored) async for stored in withdrawals]
        found += [_reversal(stored) async for stored in reversals]
        return sorted(found, key=lambda record: record.updated_at)[:limit]


def _payment(stored: dict[str, Any]) -> StuckRecord:
    ids = (("checkout", stored.get("checkout")), ("merchant_request", stored.get("merchant_request")))
    return _record(StuckKind.STK, stored["payment_id"], stored, ids)


def _withdrawal(stored: dict[str, Any]) -> StuckRecord:
    ids = (
        ("originator_conversation_id", stored.get("originator_conversation_id")),
        ("conversation_id", stored.get("conversation_id")),
    )
    return _record(StuckKind.B2C, stored["withdrawal_id"], stored, ids)


def _reversal(stored: dict[str, Any]) -> StuckRecord:
    return StuckRecord(
        kind=StuckKind.REVERSAL,
        id=stored["reversal_id"],
        subject=stored["hash"],
        status=stored["status"],
        amount=stored["amount"],
        phone=None,
        created_at=as_utc(stored["created_at"]),
        updated_at=as_utc(stored["updated_at"]),
        outcome_unknown=stored["status"] == ReversalStatus.UNKNOWN.value,
        daraja_ids=(
            ("receipt", stored["receipt"]),
            ("originator_conversation_id", stored.get("originator_conversation_id")),
            ("conversation_id", stored.get("conversation_id")),
        ),
    )


def _record(
    kind: StuckKind, record_id: str, stored: dict[str, Any], daraja_ids: tuple[tuple[str, str | None], ...]
) -> StuckRecord:
    return StuckRecord(
        kind=kind,
        id=record_id,
        subject=stored["hash"],
        status=stored["status"],
        amount=stored["amount"],
        phone=Phone(stored["phone"]),
        created_at=as_utc(stored["created_at"]),
        updated_at=as_utc(stored["updated_at"]),
        outcome_unknown=bool(stored.get("outcome_unknown", False)),
        daraja_ids=daraja_ids,
    )
