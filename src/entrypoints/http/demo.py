"""The demo page, served in simulator mode only: pay and withdraw through the WSS protocol from a browser.

The page is plain HTML, CSS and one script (`entrypoints/demo/`), with no build step. Its scenario picker is
filled from `/demo/scenarios.json`, built here from the simulator's own table, so it cannot drift from what the
simulator does.
"""

from importlib.resources import files
from typing import Any

import msgspec
from litestar import Response, Router, get

from daraja_simulator.scenarios import SCENARIOS, Api

DEMO_PATH = "/demo"
# The amount the picker proposes for "any other amount" (the simulator's default row, which succeeds).
DEFAULT_AMOUNTS = {Api.STK_PUSH: 100, Api.B2C: 500}
_ENDPOINTS = {Api.STK_PUSH: "stk", Api.B2C: "b2c"}

# Litestar adds "; charset=utf-8" to text/* types itself.
_ASSETS = {"index.html": "text/html", "demo.css": "text/css", "demo.js": "text/javascript"}
# The page loads nothing but its own files and talks only to its own origin (wss:// included).
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def scenario_options() -> dict[str, list[dict[str, Any]]]:
    """The simulator's scenarios per endpoint, each with the amount that chooses it, in the table's order."""
    options: dict[str, list[dict[str, Any]]] = {endpoint: [] for endpoint in _ENDPOINTS.values()}
    for row in SCENARIOS:
        options[_ENDPOINTS[row.api]].append(
            {
                "amount": DEFAULT_AMOUNTS[row.api] if row.amount is None else row.amount,
                "any_other_amount": row.amount is None,
                "name": row.name,
                "description": row.description,
                "result_code": row.result_code,
            }
        )
    return options


def _read(name: str) -> bytes:
    return files("entrypoints").joinpath("demo", name).read_bytes()


def demo_routes(*, enabled: bool, paybill: str = "600984") -> list[Router]:
    """The demo's routes under /demo when `enabled` (simulator mode); none at all otherwise. `paybill` is the
    shortcode the Paybill tab's requests are paid to (C2B_SHORTCODE)."""
    if not enabled:
        return []
    assets = {name: _read(name) for name in _ASSETS}
    scenarios = msgspec.json.encode({**scenario_options(), "paybill": paybill})

    def asset(name: str) -> Response[bytes]:
        return Response(assets[name], media_type=_ASSETS[name], headers=_HEADERS)

    @get("/", include_in_schema=False)
    async def page() -> Response[bytes]:
        return asset("index.html")

    @get("/demo.css", include_in_schema=False)
    async def stylesheet() -> Response[bytes]:
        return asset("demo.css")

    @get("/demo.js", include_in_schema=False)
    async def script() -> Response[bytes]:
        return asset("demo.js")

    @get("/scenarios.json", include_in_schema=False)
    async def scenario_table() -> Response[bytes]:
        return Response(scenarios, media_type="application/json", headers=_HEADERS)

    return [Router(path=DEMO_PATH, route_handlers=[page, stylesheet, script, scenario_table])]
