import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from adapters.mongo.b2c_remembered_withdrawals import RememberedWithdrawals
from adapters.mongo.b2c_withdrawal_document import (
    WithdrawalDocument,
    as_stored,
    from_stored,
    new_document,
    replacement_for,
)
from adapters.mongo.change_order import read_in_change_order, read_open_or_changed_after
from adapters.mongo.client import MongoDatabase
from adapters.mongo.equality import equal_to
from adapters.mongo.store_errors import translates_store_errors
from domain.b2c.ports import WithdrawalRepository
from domain.b2c.withdrawal import Withdrawal, WithdrawalStatus
from domain.shared.errors import ConcurrentUpdateError, DomainError
from domain.shared.resume_cursor import ResumeCursor

# Candidates read per round of `claim_next`, and rounds before giving up until the worker's next poll. Every lost
# race means another worker took a withdrawal, so a few rounds are plenty.
_CANDIDATES = 8
_ROUNDS = 10
_QUEUE_ORDER = [("created_at", ASCENDING), ("withdrawal_id", ASCENDING)]
_CHECK_ORDER = [("next_check_at", ASCENDING), ("withdrawal_id", ASCENDING)]
_AT_DARAJA = [WithdrawalStatus.SUBMITTED.value, WithdrawalStatus.TIMEOUT.value]
_NOT_FINAL = [WithdrawalStatus.QUEUED.value, *_AT_DARAJA]


class MongoWithdrawalRepository(WithdrawalRepository):
    """B2C withdrawals in MongoDB, which are also the payout queue; every change is conditional on the version read.

    A store that cannot be reached raises StoreUnavailableError from every method.
    """

    def __init__(self, database: MongoDatabase, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._collection = database[WithdrawalDocument.__collection__]
        self._known = RememberedWithdrawals(monotonic)

    @translates_store_errors
    async def add(self, withdrawal: Withdrawal) -> None:
        await self._collection.insert_one(new_document(withdrawal))
        self._known.claimable([withdrawal])

    @translates_store_errors
    async def save(self, withdrawal: Withdrawal) -> None:
        read_version = withdrawal.version
        if not await self._replace(withdrawal, read_version):
            self._known.refused(withdrawal)
            raise ConcurrentUpdateError(f"withdrawal {withdrawal.id} changed since version {read_version} was read")
        withdrawal.version = read_version + 1
        self._known.stored(withdrawal)

    @translates_store_errors
    async def by_id(self, subject: str, withdrawal_id: str) -> Withdrawal | None:
        stored = await self._collection.find_one(equal_to({"hash": subject, "withdrawal_id": withdrawal_id}))
        return None if stored is None else from_stored(stored)

    @translates_store_errors
    async def by_callback_token(self, token: str) -> Withdrawal | None:
        # Daraja's Result for a withdrawal this process sent: as stored by the answer's write, unless that changed.
        known = self._known.by_callback_token(token)
        if known is not None:
            return known
        stored = await self._collection.find_one(equal_to({"callback_token": token}))
        return None if stored is None else from_stored(stored)

    @translates_store_errors
    async def by_status_query(self, token_digest: str) -> Withdrawal | None:
        stored = await self._collection.find_one(equal_to({"status_query_digest": token_digest}))
        return None if stored is None else from_stored(stored)

    @translates_store_errors
    async def claim_next(
        self,
        worker: str,
        now: datetime,
        lease_until: datetime,
        prepare: Callable[[Withdrawal], None] | None = None,
    ) -> Withdrawal | None:
        # Not one `find_one_and_update` with `$set` of the lease: nx-27017 (the embedded store) would keep that
        # datetime as a string, which `lease_expires_at < now` then never matches. Instead, the oldest claimable
        # withdrawals are read and each is replaced whole on condition of the version read: per document that is
        # still a single atomic compare-and-set, so of two workers racing for one withdrawal exactly one wins, and
        # the loser moves on to the next candidate.
        # `None` matches a null lease and a missing one alike. nx-27017 compares dates to the whole second, so
        # there a lease is taken over up to a second late; never early, which is the side that matters.
        claimable = _all_of(
            {"status": WithdrawalStatus.QUEUED.value},
            {"$or": [{"lease_expires_at": None}, {"lease_expires_at": {"$lt": now}}]},
        )
        # A remembered withdrawal is claimed as one read would be: on condition of the version it was known at, so
        # one that changed since (another worker took it, or it was sent) is refused by the store and forgotten.
        claimed = await self._claim_first(self._known.take_claimable(now), worker, lease_until, prepare)
        if claimed is not None:
            return claimed
        for _ in range(_ROUNDS):
            candidates = await self._candidates(claimable)
            self._known.queue_read()
            if not candidates:
                return None
            claimed = await self._claim_first(candidates, worker, lease_until, prepare)
            if claimed is not None:
                return claimed
        return None

    async def _claim_first(
        self,
        candidates: list[Withdrawal],
        worker: str,
        lease_until: datetime,
        prepare: Callable[[Withdrawal], None] | None,
    ) -> Withdrawal | None:
        for tried, candidate in enumerate(candidates, start=1):
            leased = replace(
                candidate, lease_owner=worker, lease_expires_at=lease_until, history=list(candidate.history)
            )
            if prepare is not None:
                try:
                    prepare(leased)
                except DomainError:
                    continue
            if await self._replace(leased, candidate.version):
                self._known.claimable(candidates[tried:])
                # Mapped back through the document so the times are those stored (whole milliseconds).
                claimed = replace(
                    as_stored(leased),
                    version=candidate.version + 1,
                    applied_callback=leased.applied_callback,
                )
                self._known.stored(claimed)
                return claimed
        return None

    @translates_store_errors
    async def due_for_check(self, now: datetime, limit: int) -> list[Withdrawal]:
        # nx-27017 compares dates to the whole second: a check may come up to a second late, never early.
        due = {"status": {"$in": _AT_DARAJA}, "next_check_at": {"$lte": now}}
        return await self._find(due, _CHECK_ORDER, limit)

    @translates_store_errors
    async def changed_after(self, subject: str, after: ResumeCursor, limit: int) -> list[Withdrawal]:
        return await read_in_change_order(self._find, equal_to({"hash": subject}), "withdrawal_id", after, None, limit)

    @translates_store_errors
    async def open_or_changed_after(self, subject: str, start: ResumeCursor, limit: int) -> list[Withdrawal] | None:
        return await read_open_or_changed_after(
            self._find, subject, "withdrawal_id", start, lambda withdrawal: not withdrawal.status.is_final, limit
        )

    @translates_store_errors
    async def open_between(
        self, subject: str, after: ResumeCursor, until: ResumeCursor, limit: int
    ) -> list[Withdrawal]:
        still_open = {**equal_to({"hash": subject}), "status": {"$in": _NOT_FINAL}}
        return await read_in_change_order(self._find, still_open, "withdrawal_id", after, until, limit)

    async def _find(self, condition: dict[str, Any], sort: list[tuple[str, int]], limit: int) -> list[Withdrawal]:
        if limit <= 0:
            return []
        cursor = self._collection.find(condition, sort=sort, limit=limit)
        return [from_stored(stored) async for stored in cursor]

    async def _candidates(self, claimable: dict[str, Any]) -> list[Withdrawal]:
        cursor = self._collection.find(claimable, sort=_QUEUE_ORDER, limit=_CANDIDATES)
        return [from_stored(stored) async for stored in cursor]

    async def _replace(self, withdrawal: Withdrawal, read_version: int) -> bool:
        """Replace the whole document if it is still at `read_version`; MongoDB keeps `_id` either way."""
        # A replacement rather than `$set`: nx-27017 stores a datetime given to `$set` as a string. `replace_one`
        # rather than `find_one_and_replace`: nothing needs reading back (the caller has the new state), and it
        # raises a broken unique index where nx-27017's findAndModify would report it as a lost race.
        replaced = await self._collection.replace_one(
            equal_to({"withdrawal_id": withdrawal.id, "version": read_version}),
            replacement_for(withdrawal, read_version + 1),
        )
        return replaced.matched_count == 1


def _all_of(*conditions: dict[str, Any]) -> dict[str, Any]:
    # Spelled out as $and: nx-27017 drops the other top-level conditions of a filter whose $or compares dates.
    return {"$and": list(conditions)}
