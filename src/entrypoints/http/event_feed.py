"""`GET /api/v1/events`: the ordered event feed a merchant's backend catches up from."""

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from domain.events.types import TypeFilter
from domain.events.use_cases.read_event_feed import MAXIMUM_PAGE, ReadEventFeed
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key

# Sequence numbers are 64-bit integers in MongoDB: a larger `after` is a bad request, not a store error.
_LARGEST_SEQUENCE = 2**63 - 1


class EventFeedController(Controller):
    path = "/api/v1/events"
    tags = ["Events"]
    guards = [require_api_key]
    security = API_KEY_SECURITY

    @get(
        "/",
        summary="Events after a sequence number, in order",
        description=(
            "Every state change of every payment, withdrawal and reversal, numbered 1, 2, 3, … Ask with the last "
            "`sequence` you processed as `after`; continue from `next_after`. `type` (repeatable, or comma-separated: "
            "exact types, `stk.*`, `b2c.*`, `reversal.*`) filters the page; `next_after` moves past filtered-out "
            "events too."
        ),
    )
    async def feed(
        self,
        read_event_feed: NamedDependency[ReadEventFeed],
        after: Annotated[int, Parameter(ge=0, le=_LARGEST_SEQUENCE)] = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAXIMUM_PAGE)] = 100,
        types: Annotated[list[str] | None, Parameter(query="type")] = None,
    ) -> dict[str, Any]:
        patterns = [pattern.strip() for listed in types or [] for pattern in listed.split(",") if pattern.strip()]
        wanted = TypeFilter.parse(patterns, "type") if patterns else TypeFilter.everything()
        page = await read_event_feed(after, limit, wanted)
        return {"data": [event.view() for event in page.events], "next_after": page.next_after}
