"""GET /ready: whether this instance can serve now, one named check per dependency (unlike /health: "process up")."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

Check = Callable[[], Awaitable[bool]]

# A bound on every check, so a probe gets its answer even from a check that forgets its own time-out.
_CHECK_TIMEOUT_SECONDS = 5.0


class ReadinessChecks:
    """Named checks (`{"store": store_health.check, "daraja": …}`), run together; a fault is "down". A check named
    in `degrading` (Redis) is reported but does not make the instance unready: it still serves without it."""

    def __init__(
        self,
        checks: Mapping[str, Check],
        timeout_seconds: float = _CHECK_TIMEOUT_SECONDS,
        degrading: frozenset[str] = frozenset(),
    ) -> None:
        self._checks, self._timeout, self._degrading = dict(checks), timeout_seconds, degrading

    def status(self, results: Mapping[str, bool]) -> str:
        if not all(up for name, up in results.items() if name not in self._degrading):
            return "not ready"
        return "ready" if all(results.values()) else "degraded"

    async def run(self) -> dict[str, bool]:
        names = list(self._checks)
        results = await asyncio.gather(*(self._bounded(self._checks[name]) for name in names))
        return dict(zip(names, results, strict=True))

    async def _bounded(self, check: Check) -> bool:
        try:
            return await asyncio.wait_for(check(), self._timeout)
        except Exception:
            return False


@get(
    "/ready",
    summary="Every dependency answers: send traffic here",
    tags=["Operations"],
    responses={503: ResponseSpec(dict[str, Any], description="A dependency is down; `checks` names it")},
)
async def ready(readiness_checks: NamedDependency[ReadinessChecks]) -> Response[dict[str, Any]]:
    results = await readiness_checks.run()
    status = readiness_checks.status(results)
    body = {"status": status, "checks": {name: "up" if up else "down" for name, up in results.items()}}
    return Response(body, status_code=503 if status == "not ready" else 200)
