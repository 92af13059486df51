"""`/api/v1/webhooks`: register, list, show, remove and enable endpoints, read their delivery log, replay events."""

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from domain.webhooks.use_cases.enable_webhook import EnableWebhook
from domain.webhooks.use_cases.list_deliveries import ListDeliveries
from domain.webhooks.use_cases.register_webhook import RegisterWebhook, WebhookRegistration
from domain.webhooks.use_cases.remove_webhook import RemoveWebhook
from domain.webhooks.use_cases.replay_events import ReplayEvents
from domain.webhooks.use_cases.webhook_details import WebhookDetails
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key
from entrypoints.http.openapi_bodies import json_body
from entrypoints.http.server_body import server_body

_MOST_DELIVERIES = 500


class WebhookBody(msgspec.Struct, forbid_unknown_fields=True):
    url: str
    event_types: list[str] = msgspec.field(default_factory=lambda: ["*"])
    description: str = ""


class ReplayBody(msgspec.Struct, forbid_unknown_fields=True):
    from_sequence: int
    to_sequence: int


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["Webhooks"]
    guards = [require_api_key]
    security = API_KEY_SECURITY

    @post(
        "/",
        status_code=201,
        summary="Register an endpoint",
        description=(
            'JSON body: `url`, `event_types` (default `["*"]`), `description`. The answer carries the endpoint\'s '
            "signing `secret`, shown this once. It receives the events numbered after the feed's last one."
        ),
        operation_class=json_body(WebhookBody, "the endpoint; no other field is allowed"),
    )
    async def register(
        self, request: Request[Any, Any, Any], register_webhook: NamedDependency[RegisterWebhook]
    ) -> dict[str, Any]:
        body = await server_body(request, WebhookBody)
        endpoint = await register_webhook(WebhookRegistration(body.url, body.event_types, body.description))
        return {**endpoint.view(), "secret": endpoint.secret}

    @get("/", summary="Every registered endpoint")
    async def list_endpoints(self, webhook_details: NamedDependency[WebhookDetails]) -> dict[str, Any]:
        return {"data": [endpoint.view() for endpoint in await webhook_details.all()]}

    @get("/{endpoint_id:str}", summary="One endpoint, with its delivery state")
    async def show(self, endpoint_id: str, webhook_details: NamedDependency[WebhookDetails]) -> dict[str, Any]:
        return (await webhook_details(endpoint_id)).view()

    @delete("/{endpoint_id:str}", summary="Remove an endpoint (its delivery log is kept)")
    async def remove(self, endpoint_id: str, remove_webhook: NamedDependency[RemoveWebhook]) -> None:
        await remove_webhook(endpoint_id)

    @post("/{endpoint_id:str}/enable", status_code=200, summary="Enable a disabled endpoint; retry a failing one now")
    async def enable(self, endpoint_id: str, enable_webhook: NamedDependency[EnableWebhook]) -> dict[str, Any]:
        return (await enable_webhook(endpoint_id)).view()

    @post(
        "/{endpoint_id:str}/replay",
        status_code=202,
        summary="Send a range of events again",
        description="JSON body: `from_sequence`, `to_sequence` (inclusive); only the endpoint's event types are sent.",
        operation_class=json_body(ReplayBody, "the range to send again"),
    )
    async def replay(
        self, endpoint_id: str, request: Request[Any, Any, Any], replay_events: NamedDependency[ReplayEvents]
    ) -> dict[str, Any]:
        body = await server_body(request, ReplayBody)
        return (await replay_events(endpoint_id, body.from_sequence, body.to_sequence)).view()

    @get("/{endpoint_id:str}/deliveries", summary="The endpoint's delivery log, newest first")
    async def deliveries(
        self,
        endpoint_id: str,
        list_deliveries: NamedDependency[ListDeliveries],
        limit: Annotated[int, Parameter(ge=1, le=_MOST_DELIVERIES)] = 50,
    ) -> dict[str, Any]:
        return {"data": [delivery.view() for delivery in await list_deliveries(endpoint_id, limit)]}
