from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency

from domain.access.api_key import REVERSAL_SCOPE
from domain.reversals.use_cases.request_reversal import RequestReversal, ReverseCommand
from domain.reversals.use_cases.show_reversal import ShowReversal
from entrypoints.http.api_key_guard import API_KEY_SECURITY, require_api_key_with
from entrypoints.http.openapi_bodies import json_body
from entrypoints.http.server_body import IdempotencyKey, server_body
from entrypoints.protocol.errors import ok_reply
from entrypoints.protocol.messages import HttpReverseBody


class ReversalController(Controller):
    path = "/api/v1/mpesa/reversals"
    tags = ["Reversals"]
    guards = [require_api_key_with(REVERSAL_SCOPE)]
    security = API_KEY_SECURITY

    @post(
        "/",
        status_code=201,
        summary="Reverse a completed payment by its M-PESA receipt (server to server, API key with `reversal`)",
        description=(
            "JSON body: receipt (the payment's M-PESA receipt) and reason (2 to 100 characters, sent to M-PESA as "
            "Remarks). The whole amount is reversed. The reversal is recorded (status `requested`) and sent by the "
            "worker; Daraja's Result settles it. `Idempotency-Key` names the request for 24 hours."
        ),
        operation_class=json_body(HttpReverseBody, "the reversal; no other field is allowed"),
    )
    async def reverse(
        self,
        request: Request[Any, Any, Any],
        request_reversal: NamedDependency[RequestReversal],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        body = await server_body(request, HttpReverseBody)
        reversal = await request_reversal(ReverseCommand(body.receipt, body.reason, idempotency_key))
        return ok_reply("reversal", None, reversal.view())

    @get("/{reversal_id:str}", summary="A reversal as it stands (API key with `reversal`)")
    async def show(self, reversal_id: str, show_reversal: NamedDependency[ShowReversal]) -> dict[str, Any]:
        return ok_reply("reversal", None, (await show_reversal(reversal_id)).view())
