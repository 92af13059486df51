"""The simulator's fault plan as it stands and is consumed, request by request; refusal of connections."""

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec

from daraja_simulator.fault_plan import FaultPlan
from daraja_simulator.listener import Listener


@dataclass(slots=True)
class Decision:
    """What happens to one request."""

    abort: bool = False
    fail: bool = False
    drop: bool = False
    delay: float = 0.0


@dataclass(slots=True)
class Faults:
    plan: FaultPlan = field(default_factory=FaultPlan)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("failed", "dropped", "delayed", "aborted"), 0)
    )
    # Set by whoever serves the app (`server.attach_listener`); without one, refusal is an ASGI-level abort.
    listener: Listener | None = None
    _refusing: bool = False
    _reopen: asyncio.Task[None] | None = None

    async def apply(self, plan: FaultPlan) -> None:
        await self.stop_refusing()
        self.plan = plan
        if plan.refuse_connections:
            self._refusing = True
            if self.listener is not None:
                await self.listener.close()
            self._reopen = asyncio.get_running_loop().create_task(self._reopen_after(plan.refuse_seconds))

    async def clear(self) -> None:
        await self.apply(FaultPlan())
        self.counts = dict.fromkeys(self.counts, 0)

    async def stop_refusing(self) -> None:
        if self._reopen is not None and self._reopen is not asyncio.current_task():
            self._reopen.cancel()
        self._reopen = None
        if self._refusing and self.listener is not None:
            await self.listener.reopen()
        self._refusing = False

    def cancel(self) -> None:
        """On shutdown: forget a pending reopening; the server is closing anyway."""
        if self._reopen is not None:
            self._reopen.cancel()
            self._reopen = None

    def describe(self) -> dict[str, Any]:
        return {"plan": msgspec.to_builtins(self.plan), "refusing": self._refusing, "counts": dict(self.counts)}

    def decide(self, path: str) -> Decision:
        """Consumes one of each counted fault the request meets."""
        plan = self.plan
        if not plan.covers(path):
            return Decision()
        if self._refusing:
            self.counts["aborted"] += 1
            return Decision(abort=True)
        if plan.fail_next > 0:
            self.plan = replace(plan, fail_next=plan.fail_next - 1)
            self.counts["failed"] += 1
            return Decision(fail=True)
        decision = Decision()
        if plan.delay_seconds > 0 and (plan.delay_count is None or plan.delay_count > 0):
            decision.delay = plan.delay_seconds
            self.counts["delayed"] += 1
            if plan.delay_count is not None:
                plan = replace(plan, delay_count=plan.delay_count - 1)
        if plan.drop_after_processing > 0:
            decision.drop = True
            self.counts["dropped"] += 1
            plan = replace(plan, drop_after_processing=plan.drop_after_processing - 1)
        self.plan = plan
        return decision

    async def _reopen_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.stop_refusing()
