"""What `/` answers: a newcomer who opens the gateway's address in a browser should land somewhere useful."""

from typing import Any

from litestar import Response, get
from litestar.response import Redirect

from entrypoints.http.demo import DEMO_PATH
from entrypoints.http.schema_viewer import SCHEMA_PATH


def root_route(*, demo: bool) -> Any:
    """With the demo page (simulator mode) `/` redirects to it; otherwise it names the operational endpoints."""
    if demo:

        @get("/", include_in_schema=False)
        async def to_demo() -> Redirect:
            return Redirect(DEMO_PATH, status_code=302)

        return to_demo

    @get("/", include_in_schema=False)
    async def index() -> Response[dict[str, str]]:
        return Response(
            {"service": "mpesa-gateway", "health": "/health", "ready": "/ready", "schema": SCHEMA_PATH},
            headers={"Cache-Control": "no-cache"},
        )

    return index
