"""Leases renewed no more often than their lifetime needs.

A holder asks for its lease on every step of its loop (the event relay does, several times a second under load);
each ask used to be a store command. This wrapper answers "still yours" from memory while less than a third of the
lease taken has gone by, and asks the store otherwise: the store's lease then still has two thirds of its life
left, so no other instance can have taken it (they take only an expired lease), and a holder that stalls longer
than that asks the store again and learns whether it lost it.
"""

from datetime import datetime

from domain.shared.ports import Leases

_RENEW_AFTER_FRACTION = 1 / 3


class RenewingLeases(Leases):
    def __init__(self, store: Leases) -> None:
        self._store = store
        self._renew_after: dict[tuple[str, str], datetime] = {}

    async def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        key = (name, owner)
        renew_after = self._renew_after.get(key)
        if renew_after is not None and now < renew_after:
            return True
        self._renew_after.pop(key, None)
        taken = await self._store.acquire(name, owner, now, until)
        if taken:
            self._renew_after[key] = now + (until - now) * _RENEW_AFTER_FRACTION
        return taken

    async def release(self, name: str, owner: str) -> None:
        self._renew_after.pop((name, owner), None)
        await self._store.release(name, owner)
