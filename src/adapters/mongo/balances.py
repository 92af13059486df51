"""Balance checks and the latest balance of each account, in MongoDB. Every change is a whole-document replace on
condition of the version read (nx-27017 stores a datetime given to `$set` as a string)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from adapters.mongo.bson_time import as_utc
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.leases import epoch_ms
from adapters.mongo.store_errors import translates_store_errors
from domain.balances.account_balance import UTILITY_ACCOUNT, AccountBalance
from domain.balances.account_state import AccountState
from domain.balances.balance_check import BalanceCheck, CheckStatus, CheckTrigger
from domain.balances.ports import AccountStates, BalanceChecks, KnownFunds
from domain.events.ports import OutboxRecord
from domain.events.types import BALANCE
from domain.shared.errors import ConcurrentUpdateError
from domain.shared.status_change import ChangeCause, StatusChange

CHECKS_COLLECTION = "balance_checks"
ACCOUNTS_COLLECTION = "account_balances"


class MongoBalanceChecks(BalanceChecks):
    def __init__(self, database: MongoDatabase) -> None:
        self._collection = database[CHECKS_COLLECTION]

    @translates_store_errors
    async def add(self, check: BalanceCheck) -> None:
        await self._collection.insert_one(_check_document(check, check.version))

    @translates_store_errors
    async def save(self, check: BalanceCheck) -> None:
        replaced = await self._collection.find_one_and_replace(
            equal_to({"check_id": check.id, "version": check.version}),
            _check_document(check, check.version + 1),
            projection={"_id": True},
        )
        if replaced is None:
            raise ConcurrentUpdateError(f"balance check {check.id} changed since version {check.version} was read")
        check.version += 1

    @translates_store_errors
    async def by_token(self, token: str) -> BalanceCheck | None:
        stored = await self._collection.find_one(equal_to({"callback_token": token}))
        return None if stored is None else _check(stored)

    async def by_callback_token(self, token: str) -> BalanceCheck | None:
        return await self.by_token(token)

    @translates_store_errors
    async def latest(self) -> BalanceCheck | None:
        cursor = self._collection.find({}, sort=[("requested_ms", DESCENDING)], limit=1)
        found = [_check(stored) async for stored in cursor]
        return found[0] if found else None


class MongoAccountStates(AccountStates, KnownFunds):
    def __init__(self, database: MongoDatabase) -> None:
        self._collection = database[ACCOUNTS_COLLECTION]

    @translates_store_errors
    async def all(self) -> list[AccountState]:
        return [account_state(stored) async for stored in self._collection.find({}, limit=64)]

    @translates_store_errors
    async def one(self, name: str) -> AccountState | None:
        stored = await self._collection.find_one(equal_to({"account": name}))
        return None if stored is None else account_state(stored)

    @translates_store_errors
    async def add(self, state: AccountState) -> None:
        try:
            await self._collection.insert_one(_state_document(state, state.version))
        except DuplicateKeyError as taken:
            raise ConcurrentUpdateError(f"account {state.name!r} was stored meanwhile") from taken

    @translates_store_errors
    async def save(self, state: AccountState) -> None:
        replaced = await self._collection.find_one_and_replace(
            equal_to({"account": state.name, "version": state.version}),
            _state_document(state, state.version + 1),
            projection={"_id": True},
        )
        if replaced is None:
            raise ConcurrentUpdateError(f"account {state.name!r} changed since version {state.version} was read")
        state.version += 1

    async def utility_available(self) -> Decimal | None:
        state = await self.one(UTILITY_ACCOUNT)
        return None if state is None else state.balance.available


def outbox_record(stored: dict[str, Any]) -> OutboxRecord:
    """An account's low-balance crossings, for the event relay (adapters.mongo.event_outbox)."""
    state = account_state(stored)
    return OutboxRecord(BALANCE, state.name, state.version, state.history, state.view())


def _check_document(check: BalanceCheck, version: int) -> dict[str, Any]:
    return {
        "check_id": check.id,
        "callback_token": check.callback_token,
        "trigger": check.trigger.value,
        "status": check.status.value,
        "requested_at": as_utc(check.requested_at),
        "requested_ms": epoch_ms(check.requested_at),
        "conversation_id": check.conversation_id,
        "originator_conversation_id": check.originator_conversation_id,
        "result_code": check.result_code,
        "result_desc": check.result_desc,
        "answered_at": None if check.answered_at is None else as_utc(check.answered_at),
        "accounts": [_balance_document(balance) for balance in check.accounts],
        "version": version,
    }


def _check(stored: dict[str, Any]) -> BalanceCheck:
    answered_at = stored.get("answered_at")
    return BalanceCheck(
        id=stored["check_id"],
        callback_token=stored["callback_token"],
        trigger=CheckTrigger(stored["trigger"]),
        requested_at=_time(stored["requested_at"]),
        status=CheckStatus(stored["status"]),
        conversation_id=stored.get("conversation_id"),
        originator_conversation_id=stored.get("originator_conversation_id"),
        result_code=stored.get("result_code"),
        result_desc=stored.get("result_desc"),
        answered_at=None if answered_at is None else _time(answered_at),
        accounts=tuple(_balance(item) for item in stored.get("accounts") or []),
        version=stored["version"],
    )


def _balance_document(balance: AccountBalance) -> dict[str, Any]:
    # Amounts as text: exact to the cent, and readable in any store.
    return {
        "account": balance.name,
        "currency": balance.currency,
        "current": str(balance.current),
        "available": str(balance.available),
        "reserved": str(balance.reserved),
        "uncleared": str(balance.uncleared),
    }


def _balance(stored: dict[str, Any]) -> AccountBalance:
    return AccountBalance(
        stored["account"],
        stored["currency"],
        Decimal(stored["current"]),
        Decimal(stored["available"]),
        Decimal(stored["reserved"]),
        Decimal(stored["uncleared"]),
    )


def _state_document(state: AccountState, version: int) -> dict[str, Any]:
    return {
        **_balance_document(state.balance),
        "as_of": as_utc(state.as_of),
        "checked_at": as_utc(state.checked_at),
        "check_id": state.check_id,
        "completed_at": state.completed_at,
        "low": state.low,
        "history": [
            {"at": as_utc(c.at), "status": c.status, "cause": c.cause.value, "detail": c.detail, "snapshot": c.snapshot}
            for c in state.history
        ],
        "version": version,
        # The outbox mark, set by every write (so a crossing not relayed yet is never unmarked by a later reading),
        # cleared by the event relay: a few accounts an interval, and a crossing's event id never repeats.
        "events_pending": True,
        "updated_at": as_utc(state.checked_at),
    }


def account_state(stored: dict[str, Any]) -> AccountState:
    return AccountState(
        balance=_balance(stored),
        as_of=_time(stored["as_of"]),
        checked_at=_time(stored["checked_at"]),
        check_id=stored["check_id"],
        completed_at=stored.get("completed_at"),
        low=bool(stored.get("low")),
        history=[
            StatusChange(_time(c["at"]), c["status"], ChangeCause(c["cause"]), c.get("detail"), c.get("snapshot"))
            for c in stored.get("history") or []
        ],
        version=stored["version"],
    )


def _time(value: datetime) -> datetime:
    return as_utc(value)
